package io.zerodowntime.sample.it;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The integration tests' one fixture: an application in a directory of the test's own,
 * with a private copy of the jar (no parallel build overwrites it; its path identifies
 * this test's processes in {@code /proc}), an extra configuration that later generations
 * read, a PID file, a free port and one log for every generation. It starts generation 1
 * with the tests' own JDK (possibly behind launchers that exec it), follows the
 * generations, triggers upgrades and checks the end state. A tracker remembers every
 * process naming the marker (the jar copy unless given), so zombies, whose command line
 * is empty, are still recognised. {@link #close()} stops them all by pid (SIGTERM, up to
 * 15 s, SIGKILL) and prints the log.
 */
final class AppUnderTest implements AutoCloseable {

	/** JVM options for every generation: faster startup on a small machine. */
	static final List<String> JVM_OPTIONS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");

	static final Duration STARTUP = Duration.ofSeconds(90);

	/**
	 * The environment of every process started here unless a test sets it (also under
	 * {@code systemd-socket-activate}, by {@code --setenv}): the default probation, 10 s,
	 * would lengthen every upgrade by as much; the probation tests turn it on with an
	 * argument, which wins over the environment.
	 */
	static final Map<String, String> NO_PROBATION = Map.of("ZERODOWNTIME_PROBATION", "0");

	/** How many more descriptors than a fresh generation a serving one may hold. */
	static final int FD_MARGIN = 3;

	private static final Duration TERM_GRACE = Duration.ofSeconds(15);

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private static final Set<AppUnderTest> LIVE = ConcurrentHashMap.newKeySet();

	static {
		Runtime.getRuntime()
			.addShutdownHook(
					new Thread(() -> LIVE.forEach((app) -> app.targets().forEach(ProcessHandle::destroyForcibly)),
							"app-under-test-reaper"));
	}

	private final Path dir;

	private final Path jar;

	/** What the command line of every process of this application names. */
	private final Path marker;

	private final Path extra;

	private final Path pidFile;

	private final Path log;

	private final int port;

	/** Where {@code /actuator/upgrade} is served: the port unless set. */
	private volatile int managementPort;

	private final Map<Long, Procfs.Proc> seen = new ConcurrentHashMap<>();

	private final Thread tracker;

	private volatile Process process;

	private List<String> command = List.of();

	private long startNanos;

	private Duration startupTime;

	private int generation;

	private long pid;

	private long parentPid;

	private final List<Handover> handovers = new ArrayList<>();

	/** Prepare an application in a directory of its own, with a copy of the jar. */
	AppUnderTest(Path dir) {
		this(dir, dir.resolve("app.jar"));
	}

	/** Prepare an application whose processes name {@code marker}, not the jar copy. */
	AppUnderTest(Path dir, Path marker) {
		this(dir, marker, appJar());
	}

	/** Prepare an application from another jar (the same endpoints, another server). */
	static AppUnderTest of(Path dir, Path sourceJar) {
		return new AppUnderTest(dir, dir.resolve("app.jar"), sourceJar);
	}

	private AppUnderTest(Path dir, Path marker, Path sourceJar) {
		this.dir = dir;
		this.jar = dir.resolve("app.jar");
		this.marker = marker;
		this.extra = dir.resolve("extra.properties");
		this.pidFile = dir.resolve("app.pid");
		this.log = dir.resolve("app.log");
		this.port = Http.freePort();
		this.managementPort = this.port;
		io(() -> Files.createDirectories(dir));
		io(() -> Files.copy(sourceJar, this.jar, StandardCopyOption.REPLACE_EXISTING));
		io(() -> Files.writeString(this.extra, ""));
		this.tracker = new Thread(this::track, "app-under-test-tracker");
		this.tracker.setDaemon(true);
		this.tracker.start();
		LIVE.add(this);
	}

	/**
	 * Return the application under test: {@code it.app.jar}, else {@code sampleApp.jar}
	 * (set by failsafe), else {@code target/sample-app.jar}.
	 */
	static Path appJar() {
		String jar = System.getProperty("it.app.jar", System.getProperty("sampleApp.jar", "target/sample-app.jar"));
		Path path = Path.of(jar).toAbsolutePath();
		if (!Files.isRegularFile(path)) {
			throw new IllegalStateException("No application jar at " + path
					+ ": run the integration tests with 'mvn verify' so that 'package' builds it");
		}
		return path;
	}

	/** The {@code java} of the JDK running the tests. */
	static Path java() {
		return Path.of(System.getProperty("java.home"), "bin", "java");
	}

	Path jar() {
		return this.jar;
	}

	Path pidFile() {
		return this.pidFile;
	}

	/** Use {@code /actuator/upgrade} on the {@code --management.server.port} given. */
	void managementPort(int managementPort) {
		this.managementPort = managementPort;
	}

	int port() {
		return this.port;
	}

	/**
	 * The arguments every generation gets unless a test says otherwise: the port, the
	 * extra configuration, the PID file, a drain timeout of 10 s (the clients send short
	 * requests; a generation that cannot drain must not hold the test for 30 s).
	 */
	List<String> defaultArgs() {
		return List.of("--server.port=" + this.port, "--spring.config.additional-location=optional:file:" + this.extra,
				"--zerodowntime.pid-file=" + this.pidFile, "--zerodowntime.drain-timeout=10s");
	}

	void start(String... args) {
		start(UnaryOperator.identity(), args);
	}

	/** Start generation 1 with the default arguments, each replaced by one given. */
	void start(UnaryOperator<Launch> customizer, String... args) {
		List<String> all = new ArrayList<>(defaultArgs());
		// Spring would join both
		all.removeIf((arg) -> Arrays.stream(args)
			.anyMatch((given) -> given.startsWith(arg.substring(0, arg.indexOf('=') + 1))));
		all.addAll(List.of(args));
		launch((launch) -> customizer.apply(launch.args(all.toArray(String[]::new))));
	}

	/**
	 * Start generation 1 with {@link #JVM_OPTIONS} and only the customizer's arguments,
	 * its output to the log (every later generation inherits it).
	 */
	void launch(UnaryOperator<Launch> customizer) {
		Launch launch = customizer.apply(new Launch());
		List<String> command = new ArrayList<>(launch.launcher);
		if (!command.isEmpty() && command.get(0).endsWith("systemd-socket-activate")) {
			// it passes the program only the variables it is told to
			NO_PROBATION.forEach((name, value) -> {
				if (value.equals(launch.env.get(name))) {
					command.add(1, "--setenv=" + name + "=" + value);
				}
			});
		}
		command.add(java().toString());
		command.addAll(launch.jvmArgs);
		command.addAll(List.of("-jar", launch.jar.toString()));
		command.addAll(launch.args);
		ProcessBuilder builder = new ProcessBuilder(command).directory(launch.directory.toFile())
			.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
			.redirectErrorStream(true)
			.redirectOutput(ProcessBuilder.Redirect.appendTo(this.log.toFile()));
		launch.unsetEnv.forEach(builder.environment()::remove);
		builder.environment().putAll(launch.env);
		System.out.println(
				"[app] ## starting " + String.join(" ", command) + (launch.env.isEmpty() ? "" : " with " + launch.env));
		this.startNanos = System.nanoTime();
		this.command = List.copyOf(command);
		try {
			this.process = builder.start();
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Unable to start " + command, ex);
		}
		System.out.println("[app] ## started pid " + this.process.pid());
	}

	/** How to start generation 1: launchers, JVM options, arguments, environment. */
	final class Launch {

		private final List<String> launcher = new ArrayList<>();

		private final List<String> jvmArgs = new ArrayList<>(JVM_OPTIONS);

		private final List<String> args = new ArrayList<>();

		private final Map<String, String> env = new LinkedHashMap<>(NO_PROBATION);

		/** Inherited variables removed unless set here. */
		private final Set<String> unsetEnv = new LinkedHashSet<>(
				List.of("LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS"));

		private Path jar = AppUnderTest.this.jar;

		private Path directory = AppUnderTest.this.dir;

		/** The launcher runs with the rest appended, and must exec it. */
		Launch launcher(String... launcher) {
			this.launcher.addAll(Arrays.asList(launcher));
			return this;
		}

		Launch jvmArgs(String... jvmArgs) {
			this.jvmArgs.addAll(Arrays.asList(jvmArgs));
			return this;
		}

		Launch args(String... args) {
			this.args.addAll(Arrays.asList(args));
			return this;
		}

		Launch env(String name, String value) {
			this.env.put(name, value);
			this.unsetEnv.remove(name);
			return this;
		}

		Launch unsetEnv(String name) {
			this.env.remove(name);
			this.unsetEnv.add(name);
			return this;
		}

		/** Run another jar (relative to the working directory, or absolute). */
		Launch jar(Path jar) {
			this.jar = jar;
			return this;
		}

		/** Set the working directory (default: the application's directory). */
		Launch directory(Path directory) {
			this.directory = directory;
			return this;
		}

	}

	/** Return the started pid, whatever it runs now (a launcher, then the JVM). */
	long processPid() {
		return this.process.pid();
	}

	/** Return the started pid once it runs {@code java} (a launcher must exec it). */
	long jvmPid() {
		long started = this.process.pid();
		// the real path of java(): what this JVM runs
		Path java = Procfs.exe(ProcessHandle.current().pid()).orElseThrow();
		await("pid " + started + " to run " + java, Duration.ofSeconds(30), () -> {
			Optional<Path> exe = Procfs.exe(started);
			if (exe.isEmpty() && !this.process.isAlive()) {
				throw new AssertionError(
						failure("exited (code " + this.process.exitValue() + ") before it ran " + java));
			}
			return exe;
		}, (exe) -> exe.map(java::equals).orElse(false),
				() -> failure("runs " + Procfs.exe(started).map(Path::toString).orElse("nothing") + ", not " + java
						+ ": a launcher must exec the JVM"));
		return started;
	}

	/** Whether the process started (generation 1, or its launcher) still runs. */
	boolean isAlive() {
		return this.process != null && this.process.isAlive();
	}

	/** Wait for the started process (not a later one) to exit; return its status. */
	int awaitExit(Duration timeout) {
		try {
			if (!this.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
				throw new AssertionError(failure("did not exit within " + timeout));
			}
			return this.process.exitValue();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	/** Return every line printed so far, by the launchers and every generation. */
	List<String> lines() {
		return Files.exists(this.log) ? io(() -> Files.readAllLines(this.log, StandardCharsets.ISO_8859_1)) : List.of();
	}

	String output() {
		return String.join("\n", lines());
	}

	/** Return the lines printed so far that match (with {@link Matcher#find()}). */
	private Stream<Matcher> matching(String regex) {
		Pattern pattern = Pattern.compile(regex);
		return lines().stream().map(pattern::matcher).filter(Matcher::find);
	}

	Optional<Matcher> findLog(String regex) {
		return matching(regex).findFirst();
	}

	long count(String regex) {
		return matching(regex).count();
	}

	/** Wait until any generation has printed a line that matches. */
	Matcher awaitLog(String regex, Duration timeout) {
		return await("a line matching /" + regex + "/", timeout, () -> findLog(regex).orElse(null), Objects::nonNull,
				() -> failure("printed no line matching /" + regex + "/ within " + timeout));
	}

	private String failure(String problem) {
		String started = (this.process != null) ? "pid " + this.process.pid() : "(not started)";
		return started + " (" + String.join(" ", this.command) + ") " + problem + "\n" + tail();
	}

	/** Return the last 200 lines of output, for a failure message. */
	private String tail() {
		List<String> lines = lines();
		return "---- last lines of output ----\n"
				+ String.join("\n", lines.subList(Math.max(0, lines.size() - 200), lines.size()))
				+ "\n---- end of output ----";
	}

	private void track() {
		while (!Thread.currentThread().isInterrupted()) {
			try {
				for (Procfs.Proc proc : Procfs.all()) {
					if (proc.mentions(this.marker)) {
						// the first look, unless it has exec'd the JVM since
						this.seen.merge(proc.pid(), proc,
								(old, now) -> (!old.isJavaRunning(this.marker) && now.isJavaRunning(this.marker)) ? now
										: old);
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

	/** Return the pid of every java process that ever ran as this application. */
	Set<Long> javaPidsSeen() {
		return new TreeSet<>(Procfs.generations(this.seen, this.marker));
	}

	/** Replace the extra configuration, which the next generation reads. */
	void configureNextGeneration(String... properties) {
		Path temp = io(() -> Files.writeString(this.dir.resolve("extra.properties.tmp"),
				String.join("\n", properties) + "\n"));
		io(() -> Files.move(temp, this.extra, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE));
	}

	/** {@code kill -HUP <pid>}, or {@code POST /actuator/upgrade} (answered at end). */
	enum Trigger {

		HUP, POST

	}

	/**
	 * One successful upgrade, and the time from the trigger until the new generation
	 * served ({@code serving}) and until the old one exited ({@code oldGone}).
	 */
	record Handover(int generation, Trigger trigger, long oldPid, long newPid, Duration serving, Duration oldGone) {

		@Override
		public String toString() {
			return String.format("gen %d by %s: serving after %d ms, pid %d gone after %d ms", this.generation,
					this.trigger, this.serving.toMillis(), this.oldPid, this.oldGone.toMillis());
		}

	}

	Duration startupTime() {
		return this.startupTime;
	}

	/** The generation followed now: the last one awaited. */
	int generation() {
		return this.generation;
	}

	long pid() {
		return this.pid;
	}

	List<Handover> handovers() {
		return List.copyOf(this.handovers);
	}

	/** Follow a generation once it serves {@code GET /} and owns the PID file. */
	long awaitGeneration(int generation) {
		return awaitGeneration(generation, true, () -> {
		});
	}

	/**
	 * Follow a generation once it serves {@code GET /}, whatever the PID file says;
	 * generation 1 also once it has logged that it is ready (it answers a moment before,
	 * and a SIGHUP in that moment is one during startup, only warned about).
	 */
	long awaitServing(int generation) {
		long pid = awaitGeneration(generation, false, () -> {
		});
		if (generation == 1) {
			// the log, not GET /actuator/upgrade: some applications do not expose it
			awaitLog("Generation 1 \\(pid " + pid + "\\) is ready", STARTUP);
		}
		return pid;
	}

	private long awaitGeneration(int generation, boolean ownsPidFile, Runnable whileWaiting) {
		long pid = await("generation " + generation + " to serve on port " + this.port
				+ (ownsPidFile ? " and own the PID file" : ""), STARTUP, () -> {
					Long serving = servingPid(generation, ownsPidFile);
					if (serving == null) {
						if (generation == 1 && !isAlive()) {
							throw new AssertionError("generation 1 exited\n" + tail());
						}
						whileWaiting.run();
					}
					return serving;
				}, Objects::nonNull,
				() -> "generation " + generation + " never served; PID file: '" + pidFileContent() + "'\n" + tail());
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

	/** Return a generation's pid once it answers, not following it (on probation). */
	long awaitAnswering(int generation, Duration timeout) {
		return await("generation " + generation + " to answer on port " + this.port, timeout,
				() -> servingPid(generation, false), Objects::nonNull,
				() -> "generation " + generation + " never answered\n" + tail());
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

	private String pidFileContent() {
		try {
			return Files.readString(this.pidFile, StandardCharsets.US_ASCII).trim();
		}
		catch (IOException ex) {
			return "";
		}
	}

	/** Wait until a generation has logged that its predecessor exited. */
	void awaitParentExitSeen(long parentPid) {
		awaitLog(Pattern.quote("Previous generation (pid " + parentPid + ") has exited"), Duration.ofSeconds(60));
	}

	/** Wait until the followed generation can be upgraded (its predecessor is gone). */
	void awaitUpgradable() {
		if (this.parentPid != 0) {
			awaitParentExitSeen(this.parentPid);
		}
	}

	/**
	 * Trigger an upgrade that must succeed (a POST answers 200, {@code SUCCEEDED}, the
	 * new generation and pid); wait for the new generation and the old one's exit.
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

	/** Report a failed upgrade at once, not after the wait for the new generation. */
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

	/** {@code GET /actuator/upgrade}, parsed. */
	JsonNode status() {
		Http.Response response = Http.get(this.managementPort, "/actuator/upgrade", Duration.ofSeconds(20));
		assertThat(response.status()).as("GET /actuator/upgrade: %s", response).isEqualTo(200);
		return json(response);
	}

	static JsonNode json(Http.Response response) {
		return JSON.readTree(response.text());
	}

	/** {@code POST /actuator/upgrade}, waiting for the outcome. */
	Http.Response postUpgrade() {
		// a generation answers (and writes its PID file) a moment before it is ready: a
		// test that posts in that moment means the upgrade, not that moment's refusal
		return Awaitility.await("POST /actuator/upgrade to find the generation ready")
			.atMost(Duration.ofSeconds(60))
			.pollInterval(Duration.ofMillis(200))
			.until(() -> Http.post(this.managementPort, "/actuator/upgrade", Http.JSON, Duration.ofSeconds(120)),
					(r) -> r.status() != 409 || !r.text().contains("this generation is not ready yet"));
	}

	/** {@code POST /actuator/upgrade} once the predecessor's exit has been seen. */
	Http.Response postUpgradeOncePredecessorIsGone() {
		return Awaitility.await("POST /actuator/upgrade to be accepted")
			.atMost(Duration.ofSeconds(60))
			.pollInterval(Duration.ofMillis(200))
			.until(this::postUpgrade, (r) -> r.status() != 409 || !r.text().contains("has not exited"));
	}

	/**
	 * What a process holds, the smallest of a few samples (client connections come and
	 * go): fds, sockets, TCP listeners and Unix-domain sockets among them, threads, RSS.
	 */
	record Snapshot(long pid, int fds, int sockets, int listeners, int unix, long threads, long rssKb) {

		static Snapshot of(long pid) {
			int fds = Integer.MAX_VALUE;
			int sockets = Integer.MAX_VALUE;
			int listeners = Integer.MAX_VALUE;
			int unix = Integer.MAX_VALUE;
			for (int i = 0; i < 8; i++) {
				fds = Math.min(fds, Procfs.fds(pid).size());
				Set<Long> inodes = Procfs.socketInodes(pid);
				sockets = Math.min(sockets, inodes.size());
				listeners = Math.min(listeners, (int) Procfs.listeners(0).stream().filter(inodes::contains).count());
				unix = Math.min(unix, (int) Procfs.unixSockets().stream().filter(inodes::contains).count());
				sleep(30);
			}
			return new Snapshot(pid, fds, sockets, listeners, unix, Long.parseLong(Procfs.status(pid, "Threads")),
					Long.parseLong(Procfs.status(pid, "VmRSS")));
		}

	}

	/** The baseline of a fresh generation: after a few requests, with no client. */
	Snapshot baseline(long pid) {
		for (int i = 0; i < 5; i++) {
			Http.get(this.port, "/");
		}
		status();
		sleep(500);
		Snapshot snapshot = Snapshot.of(pid);
		System.out.println("[app] fresh generation pid " + pid + ": " + snapshot + " fds " + Procfs.fds(pid));
		return snapshot;
	}

	/** Assert every scenario's end: no failed request, one generation, nothing left. */
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

	/** Assert that one java process runs the application, as the given generation. */
	long assertOneGenerationServing(int generation) {
		List<Long> pids = await("exactly one java process running " + this.marker, Duration.ofSeconds(60),
				() -> Procfs.javaPids(this.marker), (p) -> p.size() == 1,
				() -> "not exactly one generation: " + Procfs.javaPids(this.marker)
					.stream()
					.map((p) -> Procfs.of(p).map(Object::toString).orElse(p + " (gone)"))
					.toList());
		Http.Response response = Http.get(this.port, "/", Duration.ofSeconds(20));
		assertThat(response.status()).as("GET /: %s", response).isEqualTo(200);
		assertThat(response.header("X-Pid")).as("X-Pid of GET /").isEqualTo(Long.toString(pids.get(0)));
		assertThat(response.header("X-Generation")).as("X-Generation of GET /").isEqualTo(Integer.toString(generation));
		return pids.get(0);
	}

	/**
	 * Assert that no live process but the serving one names the marker, and that no
	 * process seen so far has a live child left (serving: -1 when nothing may be left).
	 */
	void assertNoOrphans(long serving) {
		awaitNone("processes left behind", Duration.ofSeconds(60),
				() -> Procfs.all()
					.stream()
					.filter((p) -> !p.zombie() && p.pid() != serving
							&& (p.mentions(this.marker) || (this.seen.containsKey(p.ppid()) && p.ppid() != serving)))
					.toList());
	}

	/** Assert that no process seen, or child of one, stays a zombie 15 s (init reaps). */
	void assertNoZombies() {
		awaitNone("zombies (processes seen: " + this.seen.values() + ")", Duration.ofSeconds(15),
				() -> Procfs.all()
					.stream()
					.filter((p) -> p.zombie() && (this.seen.containsKey(p.pid()) || this.seen.containsKey(p.ppid())))
					.toList());
	}

	private static void awaitNone(String what, Duration timeout, Supplier<List<Procfs.Proc>> found) {
		await("no " + what, timeout, found::get, List::isEmpty, () -> what + ": " + found.get());
	}

	/** Wait until {@code condition} returns true, like the next method. */
	static void await(String what, Duration timeout, Callable<Boolean> condition, Supplier<String> failure) {
		await(what, timeout, condition, Boolean::booleanValue, failure);
	}

	/** Wait, polling every 50 ms; on a timeout, fail with {@code failure}'s message. */
	static <T> T await(String what, Duration timeout, Callable<T> value, Predicate<? super T> done,
			Supplier<String> failure) {
		try {
			return Awaitility.await(what)
				.atMost(timeout)
				.pollDelay(Duration.ZERO)
				.pollInterval(Duration.ofMillis(50))
				.until(value, done);
		}
		catch (ConditionTimeoutException ex) {
			throw new AssertionError(failure.get(), ex);
		}
	}

	/**
	 * Assert that a serving generation holds no more fds than a fresh one (within
	 * {@link #FD_MARGIN}), as many listeners, and no more Unix-domain sockets but, in a
	 * later generation, its end of the handshake.
	 */
	void assertFds(Snapshot fresh, long pid) {
		sleep(100);
		Snapshot now = Snapshot.of(pid);
		String detail = "fresh " + fresh + ", now " + now + " holding " + Procfs.fds(pid);
		System.out.println("[app] fds: " + detail);
		assertThat(now.fds()).as("open fds of the serving generation; %s", detail)
			.isLessThanOrEqualTo(fresh.fds() + FD_MARGIN);
		assertThat(now.listeners()).as("listening sockets of the serving generation; %s", detail)
			.isEqualTo(fresh.listeners());
		int handshake = (pid == fresh.pid()) ? 0 : 1;
		assertThat(now.unix()).as("Unix-domain sockets of the serving generation; %s", detail)
			.isLessThanOrEqualTo(fresh.unix() + handshake);
	}

	/** Stop every process of this test, by pid, and the tracker; then print the log. */
	@Override
	public void close() {
		this.tracker.interrupt();
		try {
			this.tracker.join(2000);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		stopAll();
		if (this.process != null) {
			System.out.println("[app] ---- log of every generation (" + this.log + ") ----");
			lines().forEach((line) -> System.out.println("[gen-log] " + line));
			System.out.println("[app] ---- end of log ----");
		}
		LIVE.remove(this);
	}

	/** SIGTERM to every process of the test, SIGKILL after {@link #TERM_GRACE}; reap. */
	private void stopAll() {
		List<ProcessHandle> targets = targets();
		for (ProcessHandle target : targets) {
			if (target.isAlive()) {
				System.out.println("[app] ## SIGTERM to pid " + target.pid());
				target.destroy();
			}
		}
		try {
			await("every process to exit after SIGTERM", TERM_GRACE,
					() -> targets.stream().noneMatch(ProcessHandle::isAlive), () -> "killed below");
		}
		catch (AssertionError ex) {
			// killed below
		}
		for (ProcessHandle target : targets()) {
			if (target.isAlive()) {
				System.out.println("[app] ## pid " + target.pid() + " still running after SIGTERM: SIGKILL");
				target.destroyForcibly();
			}
		}
		try {
			// reaps the started process; the others are not our children
			if (this.process != null && !this.process.waitFor(10, TimeUnit.SECONDS)) {
				System.out.println("[app] ## pid " + this.process.pid() + " survived SIGKILL");
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private List<ProcessHandle> targets() {
		Set<ProcessHandle> targets = new LinkedHashSet<>();
		if (this.process != null) {
			targets.add(this.process.toHandle());
		}
		for (Procfs.Proc proc : Procfs.all()) {
			if (!proc.zombie() && proc.mentions(this.marker)) {
				ProcessHandle.of(proc.pid()).ifPresent(targets::add);
			}
		}
		for (ProcessHandle target : List.copyOf(targets)) {
			target.descendants().forEach(targets::add);
		}
		targets.removeIf((handle) -> handle.pid() == ProcessHandle.current().pid());
		return new ArrayList<>(targets);
	}

	/** Run a short command and wait for it, failing if it fails. */
	static String run(String... command) {
		try {
			Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
			String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
			if (!process.waitFor(30, TimeUnit.SECONDS)) {
				process.destroyForcibly();
				throw new IllegalStateException(String.join(" ", command) + " did not finish");
			}
			if (process.exitValue() != 0) {
				throw new IllegalStateException(
						String.join(" ", command) + " exited with " + process.exitValue() + ": " + output);
			}
			return output;
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Unable to run " + String.join(" ", command), ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	/** Fail, naming the fix, unless a tool is installed: a missing tool skips nothing. */
	static Path requireTool(String executable, String debianPackage, String why) {
		Stream<String> dirs = executable.startsWith("/") ? Stream.of("/")
				: Arrays.stream(System.getenv().getOrDefault("PATH", "").split(":"));
		return dirs.map((dir) -> Path.of(dir.isEmpty() ? "." : dir).resolve(executable))
			.filter((candidate) -> Files.isRegularFile(candidate) && Files.isExecutable(candidate))
			.findFirst()
			.orElseThrow(() -> new AssertionError(executable + " is not installed: " + why
					+ "; install it with 'apt-get install " + debianPackage + "' (.ci/run installs it)"));
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

	static String read(Path path) {
		return io(() -> Files.readString(path));
	}

	/** Run an I/O call, its {@link IOException} unchecked. */
	static <T> T io(IoCall<T> call) {
		try {
			return call.call();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	interface IoCall<T> {

		T call() throws IOException;

	}

}
