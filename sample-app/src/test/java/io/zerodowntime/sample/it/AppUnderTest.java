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
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The integration tests' one fixture: an application under test in its own directory,
 * with a private copy of the jar ({@link AppProcess#jar()}: so no parallel build can
 * overwrite it under a running JVM, and so its path identifies this test's processes in
 * {@code /proc}), an extra configuration file that later generations read (to make a new
 * release bad), a PID file, a free port and the log of every generation.
 *
 * <p>
 * It follows the generations (through {@code X-Generation}, {@code X-Pid}, the PID file
 * and {@code /actuator/upgrade}), triggers upgrades that must succeed or fail, and ends a
 * scenario with the end-state checks: no failed client request, exactly one generation
 * serving, no orphan and no zombie, and no leaked descriptor.
 *
 * <p>
 * A tracker scans {@code /proc} every 100 ms for processes whose command line names the
 * jar copy, remembers every one it ever saw (so zombies, whose command line is empty, can
 * still be recognised) and registers each with {@link AppProcess#alsoKill(long)}, so
 * {@link #close()} stops them all by pid, also when a test fails, and then prints the log
 * of every generation.
 */
final class AppUnderTest implements AutoCloseable {

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

	private final Map<Long, Procfs.Proc> seen = new ConcurrentHashMap<>();

	private volatile AppProcess app;

	private volatile boolean tracking = true;

	private long startNanos;

	private Duration startupTime;

	private int generation;

	private long pid;

	private long parentPid;

	private final List<Handover> handovers = new ArrayList<>();

	private final List<Failed> failedUpgrades = new ArrayList<>();

	private final Thread tracker;

	/**
	 * Prepare an application in a directory of the test's own, with a copy of the jar.
	 */
	AppUnderTest(Path dir) {
		this(dir, true);
	}

	/**
	 * Prepare an application in a directory of the test's own. Without a copy of the jar,
	 * the test lays out its releases itself, starts generation 1 with a customizer that
	 * names the jar, and the processes are recognised by the PID file that
	 * {@link #defaultArgs()} names.
	 */
	AppUnderTest(Path dir, boolean copyJar) {
		this.dir = dir;
		this.jar = dir.resolve("app.jar");
		this.extra = dir.resolve("extra.properties");
		this.pidFile = dir.resolve("app.pid");
		this.marker = copyJar ? this.jar : this.pidFile;
		this.log = dir.resolve("app.log");
		this.port = Http.freePort();
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
		this.tracker = new Thread(this::track, "app-under-test-tracker");
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
	 */
	List<String> defaultArgs() {
		return List.of("--server.port=" + this.port, "--spring.config.additional-location=optional:file:" + this.extra,
				"--zerodowntime.pid-file=" + this.pidFile, "--zerodowntime.drain-timeout=10s");
	}

	/** Start generation 1 with the default arguments and more. */
	AppProcess start(String... args) {
		return start(UnaryOperator.identity(), args);
	}

	/**
	 * Start generation 1 with the default arguments and more, and a customized builder
	 * (launcher, environment). An argument {@code --name=value} replaces the default of
	 * that name. Every generation's output goes to the log file
	 * ({@link AppProcess.Builder#logTo}).
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
		this.startNanos = System.nanoTime();
		this.app = customizer.apply(builder).logTo(this.log).start();
		return this.app;
	}

	/** Return every line printed so far: the launchers', then every generation's. */
	List<String> lines() {
		return (this.app != null) ? this.app.lines() : List.of();
	}

	/** Return the first line printed so far that matches. */
	Optional<Matcher> findLog(String regex) {
		return (this.app != null) ? this.app.findLog(regex) : Optional.empty();
	}

	/** Wait until a line matching an expression has been printed by any generation. */
	Matcher awaitLog(String regex, Duration timeout) {
		return this.app.awaitLog(regex, timeout);
	}

	private void track() {
		while (this.tracking) {
			try {
				for (Procfs.Proc proc : Procfs.all()) {
					if (!proc.mentions(this.marker)) {
						continue;
					}
					// keep the first look, unless the process has since exec'd the JVM
					Procfs.Proc before = this.seen.merge(proc.pid(), proc, (old,
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

	/** Return the pids of every {@code java} process that ever ran this jar copy. */
	Set<Long> javaPidsSeen() {
		Set<Long> pids = new LinkedHashSet<>();
		this.seen.values()
			.stream()
			.filter((p) -> Procfs.isGeneration(p, this.seen.get(p.ppid()), this.marker))
			.map(Procfs.Proc::pid)
			.sorted()
			.forEach(pids::add);
		return pids;
	}

	/**
	 * Write the extra configuration that the next generation reads (replacing what was
	 * there).
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
	 * Wait until {@code GET /} is answered by a generation (whatever the PID file says),
	 * and follow it from now on.
	 */
	long awaitServing(int generation) {
		return awaitGeneration(generation, false, () -> {
		});
	}

	/** Wait until {@code GET /} is answered, by whichever generation. */
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
			throw new AssertionError("GET / was never answered\n" + tail(), ex);
		}
	}

	/** How an upgrade is triggered. */
	enum Trigger {

		/** {@code kill -HUP <pid>}. */
		HUP,

		/** {@code POST /actuator/upgrade}, which answers when the upgrade has ended. */
		POST

	}

	/**
	 * One successful upgrade.
	 *
	 * @param generation the new generation
	 * @param trigger how it was triggered
	 * @param oldPid the generation it replaced
	 * @param newPid the new generation
	 * @param serving trigger to the new generation answering new connections
	 * @param oldGone trigger to the old generation's exit
	 */
	record Handover(int generation, Trigger trigger, long oldPid, long newPid, Duration serving, Duration oldGone) {

		@Override
		public String toString() {
			return String.format("gen %d by %s: serving after %d ms, pid %d gone after %d ms", this.generation,
					this.trigger, this.serving.toMillis(), this.oldPid, this.oldGone.toMillis());
		}

	}

	/**
	 * One failed upgrade.
	 *
	 * @param trigger how it was triggered
	 * @param childPid the new generation that failed, if it was started
	 * @param reason why it failed, as the old generation reports it
	 * @param took trigger to the failure being reported
	 */
	record Failed(Trigger trigger, Long childPid, String reason, Duration took) {

	}

	/** Return how long generation 1 took from its start to serving. */
	Duration startupTime() {
		return this.startupTime;
	}

	/** Return the generation followed now (the last one {@link #awaitGeneration} saw). */
	int generation() {
		return this.generation;
	}

	/** Return the pid of the generation followed now. */
	long pid() {
		return this.pid;
	}

	List<Handover> handovers() {
		return List.copyOf(this.handovers);
	}

	List<Failed> failedUpgrades() {
		return List.copyOf(this.failedUpgrades);
	}

	/**
	 * Wait until a generation serves {@code GET /} and the PID file names it, and follow
	 * it from now on.
	 */
	long awaitGeneration(int generation) {
		return awaitGeneration(generation, true, () -> {
		});
	}

	private long awaitGeneration(int generation, boolean ownsPidFile, Runnable whileWaiting) {
		long pid;
		try {
			pid = Awaitility
				.await("generation " + generation + " to serve on port " + this.port
						+ (ownsPidFile ? " and own the PID file" : ""))
				.atMost(STARTUP)
				.pollDelay(Duration.ZERO)
				.pollInterval(Duration.ofMillis(50))
				.until(() -> {
					Long serving = servingPid(generation, ownsPidFile);
					if (serving == null) {
						if (this.app != null && !this.app.isAlive() && generation == 1) {
							throw new AssertionError("generation 1 exited\n" + tail());
						}
						whileWaiting.run();
					}
					return serving;
				}, Objects::nonNull);
		}
		catch (ConditionTimeoutException ex) {
			throw new AssertionError(
					"generation " + generation + " never served; PID file: '" + pidFileContent() + "'\n" + tail(), ex);
		}
		if (generation > this.generation && this.pid != 0) {
			this.parentPid = this.pid;
		}
		if (generation == 1 && this.startupTime == null) {
			this.startupTime = Duration.ofNanos(System.nanoTime() - this.startNanos);
		}
		this.generation = generation;
		this.pid = pid;
		return pid;
	}

	private Long servingPid(int generation, boolean ownsPidFile) {
		Http.Response response;
		try {
			response = Http.get(this.port, "/", Duration.ofSeconds(10));
		}
		catch (RuntimeException ex) {
			return null;
		}
		if (response.status() != 200 || !Integer.toString(generation).equals(response.header("X-Generation"))) {
			return null;
		}
		String servedBy = response.header("X-Pid");
		return (!ownsPidFile || pidFileContent().equals(servedBy)) ? Long.parseLong(servedBy) : null;
	}

	/** Return what the PID file says now. */
	String pidFileContent() {
		try {
			return Files.readString(this.pidFile, StandardCharsets.US_ASCII).trim();
		}
		catch (IOException ex) {
			return "";
		}
	}

	/**
	 * Wait until a generation has learned that its predecessor exited (it refuses to be
	 * upgraded before, as tableflip does), from the line it logs then.
	 */
	void awaitParentExitSeen(long parentPid) {
		awaitLog(Pattern.quote("Previous generation (pid " + parentPid + ") has exited"), Duration.ofSeconds(60));
	}

	/**
	 * Wait until the generation followed now can be upgraded: generation 1 always, a
	 * later one once it has seen its predecessor exit.
	 */
	void awaitUpgradable() {
		if (this.parentPid != 0) {
			awaitParentExitSeen(this.parentPid);
		}
	}

	/**
	 * Trigger an upgrade of the generation followed now that must succeed, and wait until
	 * the new generation serves and owns the PID file and the old one has exited. A POST
	 * must answer 200, {@code SUCCEEDED}, the new generation and its pid.
	 */
	Handover upgrade(Trigger trigger) {
		awaitUpgradable();
		int next = this.generation + 1;
		long oldPid = this.pid;
		System.out.println("[app] ## upgrade to generation " + next + " by " + trigger + " (pid " + oldPid + ")");
		JsonNode previous = status().get("lastUpgrade");
		long t0 = System.nanoTime();
		JsonNode outcome = null;
		if (trigger == Trigger.HUP) {
			Procfs.signal(oldPid, "HUP");
		}
		else {
			Http.Response response = postUpgrade();
			assertThat(response.status()).as("POST /actuator/upgrade: %s", response).isEqualTo(200);
			outcome = json(response);
			assertThat(outcome.path("outcome").asString()).as("%s", outcome).isEqualTo("SUCCEEDED");
			assertThat(outcome.path("generation").asInt()).as("%s", outcome).isEqualTo(next);
		}
		long newPid = awaitGeneration(next, true, () -> failFast(oldPid, previous, next, trigger));
		long t1 = System.nanoTime();
		assertThat(newPid).isNotEqualTo(oldPid);
		if (outcome != null) {
			assertThat(outcome.path("pid").asLong()).as("pid in %s", outcome).isEqualTo(newPid);
		}
		Procfs.awaitGone(oldPid, Duration.ofSeconds(60));
		Handover handover = new Handover(next, trigger, oldPid, newPid, Duration.ofNanos(t1 - t0),
				Duration.ofNanos(System.nanoTime() - t0));
		this.handovers.add(handover);
		System.out.println("[app] ## " + handover);
		return handover;
	}

	/**
	 * A failed upgrade is reported at once, not after the wait for the new generation.
	 */
	private void failFast(long oldPid, JsonNode previous, int next, Trigger trigger) {
		JsonNode status;
		try {
			status = status();
		}
		catch (RuntimeException | AssertionError ex) {
			return;
		}
		if (status.path("pid").asLong() == oldPid && !Objects.equals(previous, status.get("lastUpgrade"))
				&& "FAILED".equals(status.path("lastUpgrade").path("outcome").asString())) {
			throw new AssertionError(
					"The upgrade to generation " + next + " by " + trigger + " failed: " + status + "\n" + tail());
		}
	}

	/**
	 * Trigger an upgrade that must fail (the new release is bad), and wait until the
	 * generation followed now reports the failure and still serves; the new generation's
	 * process must be gone.
	 */
	Failed failedUpgrade(Trigger trigger) {
		awaitUpgradable();
		JsonNode previous = status().get("lastUpgrade");
		System.out.println("[app] ## upgrade meant to fail, by " + trigger + " (pid " + this.pid + ")");
		long t0 = System.nanoTime();
		JsonNode after;
		if (trigger == Trigger.HUP) {
			Procfs.signal(this.pid, "HUP");
			after = Awaitility.await("generation " + this.generation + " to report the failed upgrade")
				.atMost(Duration.ofSeconds(120))
				.pollInterval(Duration.ofMillis(100))
				.until(this::status, (json) -> "SERVING".equals(json.path("state").asString())
						&& !Objects.equals(previous, json.get("lastUpgrade")));
		}
		else {
			Http.Response response = postUpgrade();
			assertThat(response.status()).as("POST /actuator/upgrade: %s", response).isEqualTo(500);
			assertThat(json(response).path("outcome").asString()).isEqualTo("FAILED");
			after = status();
		}
		Duration took = Duration.ofNanos(System.nanoTime() - t0);
		JsonNode last = after.path("lastUpgrade");
		assertThat(last.path("outcome").asString()).as("%s", after).isEqualTo("FAILED");
		assertThat(after.path("generation").asInt()).as("%s", after).isEqualTo(this.generation);
		assertThat(after.path("pid").asLong()).as("%s", after).isEqualTo(this.pid);
		Long childPid = last.path("childPid").isNumber() ? last.path("childPid").asLong() : null;
		if (childPid != null) {
			Procfs.awaitGone(childPid, Duration.ofSeconds(30));
		}
		Failed failed = new Failed(trigger, childPid, last.path("reason").asString(), took);
		this.failedUpgrades.add(failed);
		System.out.println("[app] ## " + failed);
		return failed;
	}

	/**
	 * Return whether a new connection is served by a later generation than the given one.
	 */
	boolean servedByNewer(int generation) {
		try {
			Http.Response response = Http.get(this.port, "/", Duration.ofSeconds(5));
			String served = response.header("X-Generation");
			return response.status() == 200 && served != null && Integer.parseInt(served) > generation;
		}
		catch (RuntimeException ex) {
			return false;
		}
	}

	/** {@code GET /actuator/upgrade}, parsed. */
	JsonNode status() {
		Http.Response response = Http.get(this.port, "/actuator/upgrade", Duration.ofSeconds(20));
		assertThat(response.status()).as("GET /actuator/upgrade: %s", response).isEqualTo(200);
		return JSON.readTree(response.text());
	}

	static JsonNode json(Http.Response response) {
		return JSON.readTree(response.text());
	}

	/** {@code POST /actuator/upgrade}, waiting for the outcome. */
	Http.Response postUpgrade() {
		return Http.postEmptyJson(this.port, "/actuator/upgrade", Duration.ofSeconds(120));
	}

	/**
	 * {@code POST /actuator/upgrade} once the previous generation is gone (the new one
	 * learns of it a moment after it exits), waiting for the outcome.
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
	 */
	long awaitNewJava(Collection<Long> known) {
		return Awaitility.await("a new java process running " + this.marker)
			.atMost(Duration.ofSeconds(30))
			.pollInterval(Duration.ofMillis(20))
			.until(() -> Procfs.javaPids(this.marker)
				.stream()
				.filter((p) -> !known.contains(p))
				.findFirst()
				.orElse(null), (pid) -> pid != null);
	}

	/** Wait until a generation's JVM has got as far as Spring Boot's first log line. */
	void awaitBootStarted(long pid) {
		awaitLog("Starting SampleApplication using Java .* with PID " + pid + " ", STARTUP);
	}

	/** Count the log lines (of every generation) that match. */
	long count(String regex) {
		Pattern pattern = Pattern.compile(regex);
		return lines().stream().filter((line) -> pattern.matcher(line).find()).count();
	}

	/**
	 * Wait for generation 1 (the process this test started) to exit, and return its exit
	 * status.
	 */
	int awaitGenerationOneExit(Duration timeout) {
		return this.app.awaitProcessExit(timeout);
	}

	String output() {
		return String.join("\n", lines());
	}

	private String tail() {
		return (this.app != null) ? this.app.tail() : "(not started)";
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
				fds = Math.min(fds, Procfs.fds(pid).size());
				Map<Procfs.SocketKind, Integer> kinds = Procfs.sockets(pid);
				sockets = Math.min(sockets, kinds.values().stream().mapToInt(Integer::intValue).sum());
				listeners = Math.min(listeners, kinds.get(Procfs.SocketKind.TCP_LISTENER));
				unix = Math.min(unix, kinds.get(Procfs.SocketKind.UNIX));
				sleep(30);
			}
			return new Snapshot(pid, fds, sockets, listeners, unix, Long.parseLong(Procfs.status(pid, "Threads")),
					Long.parseLong(Procfs.status(pid, "VmRSS")));
		}

	}

	/**
	 * Take the fd baseline of a fresh generation: after it answered a few requests, with
	 * no client connected.
	 */
	Snapshot baseline(long pid) {
		for (int i = 0; i < 5; i++) {
			Http.get(this.port, "/");
		}
		status();
		sleep(500);
		Snapshot snapshot = Snapshot.of(pid);
		System.out
			.println("[app] fresh generation pid " + pid + ": " + snapshot + " fds " + new TreeMap<>(Procfs.fds(pid)));
		return snapshot;
	}

	/**
	 * Assert what every scenario ends with, after the load was stopped: no failed
	 * request, exactly one generation serving, no orphan, no zombie, no leaked fd.
	 */
	long assertEndState(ClientLoop load, int generation, Snapshot fresh) {
		System.out.println("[app] load: " + load.summary());
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
	 */
	long assertOneGenerationServing(int generation) {
		List<Long> pids;
		try {
			pids = Awaitility.await("exactly one java process running " + this.marker)
				.atMost(Duration.ofSeconds(60))
				.pollInterval(Duration.ofMillis(100))
				.until(() -> Procfs.javaPids(this.marker), (p) -> p.size() == 1);
		}
		catch (ConditionTimeoutException ex) {
			throw new AssertionError("not exactly one generation: " + describe(Procfs.javaPids(this.marker)), ex);
		}
		Http.Response response = Http.get(this.port, "/", Duration.ofSeconds(20));
		assertThat(response.status()).as("GET /: %s", response).isEqualTo(200);
		assertThat(response.header("X-Pid")).as("X-Pid of GET /").isEqualTo(Long.toString(pids.get(0)));
		assertThat(response.header("X-Generation")).as("X-Generation of GET /").isEqualTo(Integer.toString(generation));
		return pids.get(0);
	}

	/**
	 * Assert that no live process but the serving one names the jar copy, and that no
	 * process seen so far has a live child left (serving: -1 when nothing may be left).
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

	private List<Procfs.Proc> leftovers(long serving) {
		return Procfs.all()
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

	List<Procfs.Proc> zombies() {
		return Procfs.all()
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
	 */
	void assertFds(Snapshot fresh, long pid) {
		sleep(100);
		Snapshot now = Snapshot.of(pid);
		String detail = "fresh " + fresh + ", now " + now + " holding " + new TreeMap<>(Procfs.fds(pid));
		System.out.println("[app] fds: " + detail);
		assertThat(now.fds()).as("open fds of the serving generation; %s", detail)
			.isLessThanOrEqualTo(fresh.fds() + FD_MARGIN);
		assertThat(now.listeners()).as("listening sockets of the serving generation; %s", detail)
			.isEqualTo(fresh.listeners());
		int handshake = (pid == fresh.pid()) ? 0 : 1;
		assertThat(now.unix()).as("Unix-domain sockets of the serving generation; %s", detail)
			.isLessThanOrEqualTo(fresh.unix() + handshake);
	}

	private String describe(List<Long> pids) {
		return pids.stream().map((p) -> Procfs.of(p).map(Object::toString).orElse(p + " (gone)")).toList().toString();
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
		for (Procfs.Proc proc : Procfs.all()) {
			if (!proc.zombie() && proc.mentions(this.marker)) {
				started.alsoKill(proc.pid());
			}
		}
		started.close();
		System.out.println("[app] ---- log of every generation (" + this.log + ") ----");
		lines().forEach((line) -> System.out.println("[gen-log] " + line));
		System.out.println("[app] ---- end of log ----");
		for (Procfs.Proc proc : Procfs.all()) {
			if (!proc.zombie() && proc.mentions(this.marker)) {
				System.out.println("[app] ## still running after close, SIGKILL: " + proc);
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
