package io.zerodowntime.sample.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One application under test for the fault scenarios, in its own directory: a private
 * copy of the jar (so no parallel build can overwrite it under a running JVM, and so its
 * path identifies this test's processes in {@code /proc}), an extra configuration file
 * that later generations read (to make a new release bad), a PID file and a free port.
 *
 * <p>
 * A tracker scans {@code /proc} every 100 ms for processes whose command line names the
 * jar copy, remembers every one it ever saw (so zombies, whose command line is empty, can
 * still be recognised) and registers each with {@link AppProcess#alsoKill(long)}, so
 * {@link #close()} stops them all by pid, also when a test fails.
 *
 * <p>
 * The end-state checks every scenario ends with: no failed client request, exactly one
 * generation serving, no orphan and no zombie, and no leaked descriptor.
 */
final class FaultLoadApp implements AutoCloseable {

	/** JVM options for every generation: faster startup on a small machine. */
	static final List<String> JVM_OPTIONS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");

	static final Duration STARTUP = Duration.ofSeconds(90);

	/** How many more descriptors than a fresh generation a serving one may hold. */
	static final int FD_MARGIN = 3;

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private final Path dir;

	private final Path jar;

	/**
	 * What the command line of every process of this application names: the jar copy, or
	 * the PID file.
	 */
	private final Path marker;

	private final Path extra;

	private final Path pidFile;

	private final Path log;

	private final int port;

	private final Map<Long, FaultLoadProcs.Proc> seen = new ConcurrentHashMap<>();

	private volatile AppProcess app;

	private volatile boolean tracking = true;

	private final Thread tracker;

	/**
	 * Prepare an application in a directory.
	 * @param dir a directory of the test's own
	 */
	FaultLoadApp(Path dir) {
		this(dir, true);
	}

	/**
	 * Prepare an application in a directory.
	 * @param dir a directory of the test's own
	 * @param copyJar whether to copy the jar into it and recognise the processes by that
	 * copy; if not, the test lays out its releases itself, starts generation 1 with a
	 * customizer that names the jar, and the processes are recognised by the PID file
	 * that {@link #defaultArgs()} names
	 */
	FaultLoadApp(Path dir, boolean copyJar) {
		this.dir = dir;
		this.jar = dir.resolve("app.jar");
		this.extra = dir.resolve("extra.properties");
		this.pidFile = dir.resolve("app.pid");
		this.marker = copyJar ? this.jar : this.pidFile;
		this.log = dir.resolve("app.log");
		this.port = Net.freePort();
		try {
			Files.createDirectories(dir);
			if (copyJar) {
				Files.copy(AppProcess.jar(), this.jar, StandardCopyOption.REPLACE_EXISTING);
			}
			Files.writeString(this.extra, "");
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		this.tracker = new Thread(this::track, "fault-load-tracker");
		this.tracker.setDaemon(true);
		this.tracker.start();
	}

	Path dir() {
		return this.dir;
	}

	Path jar() {
		return this.jar;
	}

	Path pidFile() {
		return this.pidFile;
	}

	int port() {
		return this.port;
	}

	AppProcess process() {
		return this.app;
	}

	/**
	 * The arguments every generation gets unless a test says otherwise: the port, the
	 * extra configuration file, the PID file, and a drain timeout of 10 s (the clients
	 * here send short requests; a generation that cannot drain, because of a bug, must
	 * not hold the test for the default 30 s).
	 * @return the arguments
	 */
	List<String> defaultArgs() {
		return List.of("--server.port=" + this.port, "--spring.config.additional-location=optional:file:" + this.extra,
				"--zerodowntime.pid-file=" + this.pidFile, "--zerodowntime.drain-timeout=10s");
	}

	/**
	 * Start generation 1 with the default arguments and more.
	 * @param args more application arguments
	 * @return the started process
	 */
	AppProcess start(String... args) {
		return start(UnaryOperator.identity(), args);
	}

	/**
	 * Start generation 1 with the default arguments and more, and a customized builder
	 * (launcher, environment). An argument {@code --name=value} replaces the default of
	 * that name.
	 *
	 * <p>
	 * The JVM's stdout and stderr go to a log file, opened for appending by a shell that
	 * then execs the JVM (a launcher the customizer sets runs before that shell). Every
	 * later generation inherits them and appends to the same file. They are not a pipe to
	 * the test, because the JDK closes its end of a child's pipes when the child exits:
	 * the lines of every generation after the first would be lost once the first is gone.
	 * @param customizer changes the builder
	 * @param args more application arguments
	 * @return the started process
	 */
	AppProcess start(UnaryOperator<AppProcess.Builder> customizer, String... args) {
		List<String> all = new ArrayList<>(defaultArgs());
		// an argument given here replaces the default of the same name (Spring would join
		// both)
		all.removeIf((arg) -> List.of(args)
			.stream()
			.anyMatch((given) -> given.startsWith(arg.substring(0, arg.indexOf('=') + 1))));
		all.addAll(List.of(args));
		AppProcess.Builder builder = AppProcess.builder("gen")
			.jar(this.jar)
			.directory(this.dir)
			.jvmArgs(JVM_OPTIONS.toArray(String[]::new))
			.args(all.toArray(String[]::new));
		this.app = customizer.apply(builder)
			.launcher("/bin/sh", "-c", "log=$1; shift; exec \"$@\" >>\"$log\" 2>&1", "sh", this.log.toString())
			.start();
		return this.app;
	}

	/**
	 * Return every line printed so far: the launchers' (captured by {@link AppProcess}),
	 * then every generation's (from the log file).
	 * @return the lines
	 */
	List<String> lines() {
		List<String> lines = new ArrayList<>((this.app != null) ? this.app.lines() : List.of());
		try {
			if (Files.exists(this.log)) {
				lines.addAll(List.of(new String(Files.readAllBytes(this.log), StandardCharsets.UTF_8).split("\n")));
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		return lines;
	}

	/**
	 * Return the first line printed so far that matches.
	 * @param regex the expression, searched
	 * @return the line, if any
	 */
	java.util.Optional<String> findLog(String regex) {
		Pattern pattern = Pattern.compile(regex);
		return lines().stream().filter((line) -> pattern.matcher(line).find()).findFirst();
	}

	/**
	 * Wait until a line matching an expression has been printed by any generation.
	 * @param regex the expression, searched
	 * @param timeout how long to wait
	 * @return the line
	 */
	String awaitLog(String regex, Duration timeout) {
		try {
			return Awaitility.await("a line matching /" + regex + "/")
				.atMost(timeout)
				.pollDelay(Duration.ZERO)
				.pollInterval(Duration.ofMillis(50))
				.until(() -> findLog(regex).orElse(null), (line) -> line != null);
		}
		catch (ConditionTimeoutException ex) {
			throw new AssertionError("no line matching /" + regex + "/ within " + timeout + "; output:\n" + output(),
					ex);
		}
	}

	private void track() {
		while (this.tracking) {
			try {
				for (FaultLoadProcs.Proc proc : FaultLoadProcs.all()) {
					if (!proc.mentions(this.marker)) {
						continue;
					}
					// keep the first look, unless the process has since exec'd the JVM
					FaultLoadProcs.Proc before = this.seen.merge(proc.pid(), proc, (old,
							now) -> (!old.isJavaRunning(this.marker) && now.isJavaRunning(this.marker)) ? now : old);
					if (before == proc && !proc.zombie()) {
						AppProcess started = this.app;
						if (started != null) {
							started.alsoKill(proc.pid());
						}
					}
				}
				Thread.sleep(100);
			}
			catch (InterruptedException ex) {
				return;
			}
			catch (RuntimeException ex) {
				// a process vanished while being read: next round
			}
		}
	}

	/**
	 * Return the pids of every {@code java} process that ever ran this jar copy.
	 * @return the pids
	 */
	Set<Long> javaPidsSeen() {
		Set<Long> pids = new LinkedHashSet<>();
		this.seen.values()
			.stream()
			.filter((p) -> FaultLoadProcs.isGeneration(p, this.seen.get(p.ppid()), this.marker))
			.map(FaultLoadProcs.Proc::pid)
			.sorted()
			.forEach(pids::add);
		return pids;
	}

	/**
	 * Write the extra configuration that the next generation reads (replacing what was
	 * there).
	 * @param properties the lines, e.g. {@code sample.fail-on-start=true}
	 */
	void configureNextGeneration(String... properties) {
		try {
			Path temp = this.dir.resolve("extra.properties.tmp");
			Files.writeString(temp, String.join("\n", properties) + "\n");
			Files.move(temp, this.extra, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * Wait until {@code GET /} is answered by a generation.
	 * @param generation the generation number
	 * @return its pid ({@code X-Pid})
	 */
	long awaitServing(int generation) {
		try {
			return Awaitility.await("generation " + generation + " to answer GET / on " + this.port)
				.atMost(STARTUP)
				.pollInterval(Duration.ofMillis(100))
				.until(() -> {
					try {
						Http.Response response = Http.get(this.port, "/", Duration.ofSeconds(5));
						if (response.status() == 200
								&& Integer.toString(generation).equals(response.header("X-Generation"))) {
							return Long.parseLong(response.header("X-Pid"));
						}
					}
					catch (RuntimeException ex) {
						// not up yet
					}
					if (this.app != null && !this.app.isAlive() && generation == 1) {
						throw new AssertionError("generation 1 exited:\n" + output());
					}
					return null;
				}, (pid) -> pid != null);
		}
		catch (ConditionTimeoutException ex) {
			throw new AssertionError("generation " + generation + " never answered; output:\n" + output(), ex);
		}
	}

	/**
	 * Wait until {@code GET /} is answered, by whichever generation.
	 * @return the generation ({@code X-Generation}) and the pid ({@code X-Pid})
	 */
	long[] awaitServingAnyGeneration() {
		try {
			return Awaitility.await("GET / on " + this.port + " to be answered")
				.atMost(STARTUP)
				.pollInterval(Duration.ofMillis(100))
				.until(() -> {
					try {
						Http.Response response = Http.get(this.port, "/", Duration.ofSeconds(5));
						if (response.status() == 200) {
							return new long[] { Long.parseLong(response.header("X-Generation")),
									Long.parseLong(response.header("X-Pid")) };
						}
					}
					catch (RuntimeException ex) {
						// not up yet
					}
					return null;
				}, (answer) -> answer != null);
		}
		catch (ConditionTimeoutException ex) {
			throw new AssertionError("GET / was never answered; output:\n" + output(), ex);
		}
	}

	/**
	 * {@code GET /actuator/upgrade}, parsed.
	 * @return the status
	 */
	JsonNode status() {
		Http.Response response = Http.get(this.port, "/actuator/upgrade", Duration.ofSeconds(20));
		assertThat(response.status()).as("GET /actuator/upgrade: %s", response).isEqualTo(200);
		return JSON.readTree(response.text());
	}

	static JsonNode json(Http.Response response) {
		return JSON.readTree(response.text());
	}

	/**
	 * {@code POST /actuator/upgrade}, waiting for the outcome.
	 * @return the response
	 */
	Http.Response postUpgrade() {
		return Http.postEmptyJson(this.port, "/actuator/upgrade", Duration.ofSeconds(120));
	}

	/**
	 * {@code POST /actuator/upgrade} once the previous generation is gone (the new one
	 * learns of it a moment after it exits), waiting for the outcome.
	 * @return the response
	 */
	Http.Response postUpgradeOncePredecessorIsGone() {
		return Awaitility.await("POST /actuator/upgrade to be accepted")
			.atMost(Duration.ofSeconds(60))
			.pollInterval(Duration.ofMillis(200))
			.until(this::postUpgrade, (r) -> r.status() != 409 || !r.text().contains("has not exited"));
	}

	/**
	 * Wait until a new {@code java} process runs the jar copy (a new generation that may
	 * not be ready yet).
	 * @param known the pids already known
	 * @return the new pid
	 */
	long awaitNewJava(Collection<Long> known) {
		return Awaitility.await("a new java process running " + this.marker)
			.atMost(Duration.ofSeconds(30))
			.pollInterval(Duration.ofMillis(20))
			.until(() -> FaultLoadProcs.javaPids(this.marker)
				.stream()
				.filter((p) -> !known.contains(p))
				.findFirst()
				.orElse(null), (pid) -> pid != null);
	}

	/**
	 * Wait until a generation's JVM has got as far as Spring Boot's first log line.
	 * @param pid its pid
	 */
	void awaitBootStarted(long pid) {
		awaitLog("Starting SampleApplication using Java .* with PID " + pid + " ", STARTUP);
	}

	/**
	 * Count the log lines (of every generation) that match.
	 * @param regex the expression, searched
	 * @return the count
	 */
	long count(String regex) {
		Pattern pattern = Pattern.compile(regex);
		return lines().stream().filter((line) -> pattern.matcher(line).find()).count();
	}

	/**
	 * Wait for generation 1 (the process this test started) to exit, and return its exit
	 * status. {@link AppProcess#awaitExit} also waits for the end of its output, which
	 * never comes while a later generation, which inherited the same stdout, still runs;
	 * so this waits on the process itself.
	 * @param timeout how long to wait
	 * @return the exit status (128 + n for a signal n)
	 */
	int awaitGenerationOneExit(Duration timeout) {
		try {
			java.lang.reflect.Field field = AppProcess.class.getDeclaredField("process");
			field.setAccessible(true);
			Process process = (Process) field.get(this.app);
			if (!process.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
				throw new AssertionError("generation 1 (pid " + process.pid() + ") did not exit within " + timeout
						+ "; output:\n" + output());
			}
			return process.exitValue();
		}
		catch (ReflectiveOperationException ex) {
			throw new IllegalStateException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	String output() {
		return String.join("\n", lines());
	}

	/**
	 * What a process holds: the smallest counts of a few samples (client connections come
	 * and go).
	 *
	 * @param pid the pid
	 * @param fds open descriptors
	 * @param sockets sockets among them
	 * @param listeners listening TCP sockets among them
	 * @param unix Unix-domain sockets among them (the handshake with a generation)
	 * @param threads threads
	 * @param rssKb resident memory
	 */
	record Snapshot(long pid, int fds, int sockets, int listeners, int unix, long threads, long rssKb) {

		static Snapshot of(long pid) {
			int fds = Integer.MAX_VALUE;
			int sockets = Integer.MAX_VALUE;
			int listeners = Integer.MAX_VALUE;
			int unix = Integer.MAX_VALUE;
			for (int i = 0; i < 8; i++) {
				fds = Math.min(fds, FaultLoadProcs.fdCount(pid));
				Map<FaultLoadProcs.SocketKind, Integer> kinds = FaultLoadProcs.sockets(pid);
				sockets = Math.min(sockets, kinds.values().stream().mapToInt(Integer::intValue).sum());
				listeners = Math.min(listeners, kinds.get(FaultLoadProcs.SocketKind.TCP_LISTENER));
				unix = Math.min(unix, kinds.get(FaultLoadProcs.SocketKind.UNIX));
				sleep(30);
			}
			return new Snapshot(pid, fds, sockets, listeners, unix, FaultLoadProcs.status(pid, "Threads"),
					FaultLoadProcs.status(pid, "VmRSS"));
		}

	}

	/**
	 * Take the fd baseline of a fresh generation: after it answered a few requests, with
	 * no client connected.
	 * @param pid the generation's pid
	 * @return the snapshot
	 */
	Snapshot baseline(long pid) {
		for (int i = 0; i < 5; i++) {
			Http.get(this.port, "/");
		}
		status();
		sleep(500);
		Snapshot snapshot = Snapshot.of(pid);
		System.out.println(
				"[fault] fresh generation pid " + pid + ": " + snapshot + " fds " + new TreeMap<>(AppProcess.fds(pid)));
		return snapshot;
	}

	/**
	 * Assert what every scenario ends with, after the load was stopped: no failed
	 * request, exactly one generation serving, no orphan, no zombie, no leaked fd.
	 * @param load the stopped load
	 * @param generation the generation that must be serving
	 * @param fresh a fresh generation's snapshot
	 * @return the serving pid
	 */
	long assertEndState(ClientLoop load, int generation, Snapshot fresh) {
		System.out.println("[fault] load: " + load.summary());
		assertThat(load.failures()).as("failed client requests (%s)", load.summary()).isEmpty();
		assertThat(load.ok()).as("successful client requests").isPositive();
		long serving = assertOneGenerationServing(generation);
		assertNoOrphans(serving);
		assertNoZombies();
		assertFds(fresh, serving);
		return serving;
	}

	/**
	 * Assert that exactly one java process runs the jar copy and that it answers as the
	 * given generation.
	 * @param generation the generation
	 * @return its pid
	 */
	long assertOneGenerationServing(int generation) {
		List<Long> pids;
		try {
			pids = Awaitility.await("exactly one java process running " + this.marker)
				.atMost(Duration.ofSeconds(60))
				.pollInterval(Duration.ofMillis(100))
				.until(() -> FaultLoadProcs.javaPids(this.marker), (p) -> p.size() == 1);
		}
		catch (ConditionTimeoutException ex) {
			throw new AssertionError("not exactly one generation: " + describe(FaultLoadProcs.javaPids(this.marker)),
					ex);
		}
		Http.Response response = Http.get(this.port, "/", Duration.ofSeconds(20));
		assertThat(response.status()).as("GET /: %s", response).isEqualTo(200);
		assertThat(response.header("X-Pid")).as("X-Pid of GET /").isEqualTo(Long.toString(pids.get(0)));
		assertThat(response.header("X-Generation")).as("X-Generation of GET /").isEqualTo(Integer.toString(generation));
		return pids.get(0);
	}

	/**
	 * Assert that no live process but the serving one names the jar copy, and that no
	 * process seen so far has a live child left.
	 * @param serving the serving pid, or -1 when nothing may be left at all
	 */
	void assertNoOrphans(long serving) {
		try {
			Awaitility.await("no other process of " + this.marker)
				.atMost(Duration.ofSeconds(60))
				.pollInterval(Duration.ofMillis(100))
				.until(() -> leftovers(serving).isEmpty());
		}
		catch (ConditionTimeoutException ex) {
			throw new AssertionError("processes left behind: " + leftovers(serving), ex);
		}
	}

	private List<FaultLoadProcs.Proc> leftovers(long serving) {
		return FaultLoadProcs.all()
			.stream()
			.filter((p) -> !p.zombie() && p.pid() != serving
					&& (p.mentions(this.marker) || (this.seen.containsKey(p.ppid()) && p.ppid() != serving)))
			.toList();
	}

	/**
	 * Assert that no process this test ran, or a child of one, is a zombie. Orphans are
	 * reaped by pid 1 (here within about 2 s), so a zombie must persist 15 s to count.
	 */
	void assertNoZombies() {
		try {
			Awaitility.await("no zombie among the processes of " + this.marker)
				.atMost(Duration.ofSeconds(15))
				.pollInterval(Duration.ofMillis(200))
				.until(() -> zombies().isEmpty());
		}
		catch (ConditionTimeoutException ex) {
			throw new AssertionError("zombies: " + zombies() + "; processes seen: " + this.seen.values(), ex);
		}
	}

	List<FaultLoadProcs.Proc> zombies() {
		return FaultLoadProcs.all()
			.stream()
			.filter((p) -> p.zombie() && (this.seen.containsKey(p.pid()) || this.seen.containsKey(p.ppid())))
			.toList();
	}

	/**
	 * Assert that a serving generation holds no more descriptors than a fresh one, within
	 * {@link #FD_MARGIN}; exactly as many listening sockets; and no more Unix-domain
	 * sockets, but for one in a later generation (its end of the handshake socket, kept
	 * until it exits). TCP connections, which come and go with the clients, are not
	 * compared one by one.
	 * @param fresh the fresh generation's snapshot
	 * @param pid the serving generation
	 */
	void assertFds(Snapshot fresh, long pid) {
		sleep(100);
		Snapshot now = Snapshot.of(pid);
		String detail = "fresh " + fresh + ", now " + now + " holding " + new TreeMap<>(AppProcess.fds(pid));
		System.out.println("[fault] fds: " + detail);
		assertThat(now.fds()).as("open fds of the serving generation; %s", detail)
			.isLessThanOrEqualTo(fresh.fds() + FD_MARGIN);
		assertThat(now.listeners()).as("listening sockets of the serving generation; %s", detail)
			.isEqualTo(fresh.listeners());
		int handshake = (pid == fresh.pid()) ? 0 : 1;
		assertThat(now.unix()).as("Unix-domain sockets of the serving generation; %s", detail)
			.isLessThanOrEqualTo(fresh.unix() + handshake);
	}

	private String describe(List<Long> pids) {
		return pids.stream()
			.map((p) -> FaultLoadProcs.of(p).map(Object::toString).orElse(p + " (gone)"))
			.toList()
			.toString();
	}

	static void sleep(long millis) {
		try {
			Thread.sleep(millis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	/** Stop every process of this test, by pid, and the tracker. */
	@Override
	public void close() {
		this.tracking = false;
		this.tracker.interrupt();
		try {
			this.tracker.join(2000);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		AppProcess started = this.app;
		if (started == null) {
			return;
		}
		for (FaultLoadProcs.Proc proc : FaultLoadProcs.all()) {
			if (!proc.zombie() && proc.mentions(this.marker)) {
				started.alsoKill(proc.pid());
			}
		}
		started.close();
		System.out.println("[fault] ---- log of every generation (" + this.log + ") ----");
		lines().forEach((line) -> System.out.println("[gen-log] " + line));
		System.out.println("[fault] ---- end of log ----");
		for (FaultLoadProcs.Proc proc : FaultLoadProcs.all()) {
			if (!proc.zombie() && proc.mentions(this.marker)) {
				System.out.println("[fault] ## still running after close, SIGKILL: " + proc);
				ProcessHandle.of(proc.pid()).ifPresent(ProcessHandle::destroyForcibly);
			}
		}
	}

	static String read(Path path) {
		try {
			return Files.readString(path, StandardCharsets.UTF_8);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
