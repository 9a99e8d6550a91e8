package io.zerodowntime.sample.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.jayway.jsonpath.JsonPath;
import org.awaitility.core.ConditionTimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Drives a series of upgrades of the packaged sample app, started from a private copy of
 * the jar: triggers each one (SIGHUP or {@code POST /actuator/upgrade}), follows the new
 * generation (its {@code X-Generation} and {@code X-Pid}, the pid file), waits for the
 * old one to exit, and records how long each step took. Also finds every process running
 * the jar copy, from {@code /proc/<pid>/cmdline} (read only).
 *
 * <p>
 * The app's output goes to a log file ({@code sh -c 'exec "$@" >>app.log 2>&1'}), as when
 * a user starts it in the background, not to a pipe to the test JVM: when the started
 * process (generation 1) exits, the JDK closes its end of the process's pipes, and every
 * later generation, which inherited them, would be writing into nothing. The whole log is
 * copied to the test output when the series is closed.
 */
final class UpgradeSeries implements AutoCloseable {

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

	private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);

	/**
	 * JVM options of every generation (a new generation runs its predecessor's command
	 * line): the settings commonly used for a small service on two cores, C1 only and the
	 * serial collector. A new JVM starts two to three times sooner next to the load on
	 * two busy cores than with the defaults, which keeps five upgrades per scenario
	 * within the suite's time budget. They change nothing in how sockets are handed over.
	 */
	static final List<String> JVM_OPTIONS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx256m");

	private final Path jar;

	private final Path pidFile;

	private final Path log;

	private final int port;

	private final AppProcess app;

	private final List<Handover> handovers = new ArrayList<>();

	private final List<Failed> failures = new ArrayList<>();

	private int generation;

	private long pid;

	private UpgradeSeries(Path jar, Path pidFile, Path log, int port, AppProcess app) {
		this.jar = jar;
		this.pidFile = pidFile;
		this.log = log;
		this.port = port;
		this.app = app;
	}

	/**
	 * Copy the packaged jar into a directory of its own and start generation 1 from the
	 * copy, as a user would ({@code java -jar}), on a free port with a pid file. Returns
	 * once it serves.
	 * @param dir the directory
	 * @param name the name in the test log
	 * @param args more application arguments
	 * @return the running generations
	 * @throws IOException if the jar cannot be copied
	 */
	static UpgradeSeries start(Path dir, String name, String... args) throws IOException {
		Path jar = dir.resolve("app.jar");
		Files.copy(AppProcess.jar(), jar);
		Path pidFile = dir.resolve("app.pid");
		int port = Net.freePort();
		List<String> all = new ArrayList<>(List.of("--server.port=" + port, "--zerodowntime.pid-file=" + pidFile));
		all.addAll(List.of(args));
		Path log = dir.resolve("app.log");
		AppProcess app = AppProcess.builder(name)
			.launcher("sh", "-c", "exec \"$@\" >>\"$0\" 2>&1", log.toString())
			.jvmArgs(JVM_OPTIONS.toArray(String[]::new))
			.jar(jar)
			.directory(dir)
			.args(all.toArray(String[]::new))
			.start();
		UpgradeSeries generations = new UpgradeSeries(jar, pidFile, log, port, app);
		try {
			generations.pid = generations.awaitServing(1);
			generations.generation = 1;
		}
		catch (RuntimeException | Error ex) {
			app.close();
			throw ex;
		}
		return generations;
	}

	int port() {
		return this.port;
	}

	int generation() {
		return this.generation;
	}

	long pid() {
		return this.pid;
	}

	List<Handover> handovers() {
		return List.copyOf(this.handovers);
	}

	List<Failed> failures() {
		return List.copyOf(this.failures);
	}

	AppProcess app() {
		return this.app;
	}

	/**
	 * Wait until the current generation can be upgraded: generation 1 always, a later one
	 * once it has seen its predecessor exit (it refuses before, as tableflip does).
	 */
	void awaitUpgradable() {
		Handover last = this.handovers.isEmpty() ? null : this.handovers.get(this.handovers.size() - 1);
		if (last != null && last.newPid() == this.pid) {
			awaitLog(Pattern.quote("Previous generation (pid " + last.oldPid() + ") has exited"),
					Duration.ofSeconds(30));
		}
	}

	/**
	 * Wait until the app's log has a line matching an expression.
	 * @param regex the expression, searched with {@link java.util.regex.Matcher#find()}
	 * @param timeout how long to wait
	 */
	void awaitLog(String regex, Duration timeout) {
		Pattern pattern = Pattern.compile(regex);
		try {
			await("a line matching /" + regex + "/ in " + this.log).atMost(timeout)
				.pollDelay(Duration.ZERO)
				.pollInterval(Duration.ofMillis(20))
				.until(() -> log().lines().anyMatch((line) -> pattern.matcher(line).find()));
		}
		catch (ConditionTimeoutException ex) {
			throw new AssertionError("No line matching /" + regex + "/ in the app's log within " + timeout + "\n---- "
					+ this.log + " ----\n" + log(), ex);
		}
	}

	/**
	 * Return the app's log so far: every generation's output.
	 * @return the log
	 */
	String log() {
		try {
			return Files.readString(this.log, StandardCharsets.UTF_8);
		}
		catch (IOException ex) {
			return "<" + this.log + " unreadable: " + ex + ">";
		}
	}

	/**
	 * Trigger an upgrade that must succeed, and wait until the new generation serves and
	 * the old one has exited.
	 * @param trigger how to trigger it
	 * @return what happened
	 */
	Handover upgrade(Trigger trigger) {
		awaitUpgradable();
		int next = this.generation + 1;
		long oldPid = this.pid;
		System.out
			.println("[generations] ## upgrade to generation " + next + " by " + trigger + " (pid " + oldPid + ")");
		Object previous = JsonPath.read(status(), "$.lastUpgrade");
		long t0 = System.nanoTime();
		if (trigger == Trigger.HUP) {
			ExternalLoad.signal("HUP", oldPid);
		}
		else {
			Http.Response response = Http.postEmptyJson(this.port, "/actuator/upgrade", READY_TIMEOUT);
			assertThat(response.status()).as("POST /actuator/upgrade: %s", response.text()).isEqualTo(200);
			assertThat((String) JsonPath.read(response.text(), "$.outcome")).isEqualTo("SUCCEEDED");
			assertThat((Integer) JsonPath.read(response.text(), "$.generation")).isEqualTo(next);
		}
		long newPid = awaitServing(next, () -> {
			// a failed upgrade is reported at once, not after the wait for the new
			// generation
			String json;
			try {
				json = status();
			}
			catch (RuntimeException | AssertionError ex) {
				return;
			}
			if (((Number) JsonPath.read(json, "$.pid")).longValue() == oldPid
					&& !Objects.equals(previous, JsonPath.read(json, "$.lastUpgrade"))
					&& "FAILED".equals(JsonPath.read(json, "$.lastUpgrade.outcome"))) {
				throw new AssertionError("The upgrade to generation " + next + " by " + trigger + " failed: " + json
						+ "\n---- " + this.log + " ----\n" + log());
			}
		});
		long t1 = System.nanoTime();
		this.app.alsoKill(newPid);
		assertThat(newPid).isNotEqualTo(oldPid);
		awaitExit(oldPid, Duration.ofSeconds(60));
		long t2 = System.nanoTime();
		this.generation = next;
		this.pid = newPid;
		Handover handover = new Handover(next, trigger, oldPid, newPid, Duration.ofNanos(t1 - t0),
				Duration.ofNanos(t2 - t0));
		this.handovers.add(handover);
		System.out.println("[generations] ## " + handover);
		return handover;
	}

	/**
	 * Trigger an upgrade that must fail (the new release is bad), and wait until the
	 * current generation reports the failure; the new generation's process must be gone.
	 * @param trigger how to trigger it
	 * @return what happened
	 */
	Failed failedUpgrade(Trigger trigger) {
		awaitUpgradable();
		String before = status();
		Object previous = JsonPath.read(before, "$.lastUpgrade");
		System.out.println("[generations] ## upgrade meant to fail, by " + trigger + " (pid " + this.pid + ")");
		long t0 = System.nanoTime();
		String after;
		if (trigger == Trigger.HUP) {
			ExternalLoad.signal("HUP", this.pid);
			after = await("generation " + this.generation + " to report the failed upgrade").atMost(READY_TIMEOUT)
				.pollInterval(Duration.ofMillis(100))
				.until(this::status, (json) -> "SERVING".equals(JsonPath.read(json, "$.state"))
						&& !Objects.equals(previous, JsonPath.read(json, "$.lastUpgrade")));
		}
		else {
			Http.Response response = Http.postEmptyJson(this.port, "/actuator/upgrade", READY_TIMEOUT);
			assertThat(response.status()).as("POST /actuator/upgrade: %s", response.text()).isEqualTo(500);
			assertThat((String) JsonPath.read(response.text(), "$.outcome")).isEqualTo("FAILED");
			after = status();
		}
		long took = System.nanoTime() - t0;
		assertThat((String) JsonPath.read(after, "$.lastUpgrade.outcome")).as(after).isEqualTo("FAILED");
		assertThat((Integer) JsonPath.read(after, "$.generation")).as(after).isEqualTo(this.generation);
		assertThat(((Number) JsonPath.read(after, "$.pid")).longValue()).as(after).isEqualTo(this.pid);
		Number childPid = JsonPath.read(after, "$.lastUpgrade.childPid");
		if (childPid != null) {
			awaitExit(childPid.longValue(), Duration.ofSeconds(30));
		}
		Failed failed = new Failed(trigger, (childPid != null) ? childPid.longValue() : null,
				JsonPath.read(after, "$.lastUpgrade.reason"), Duration.ofNanos(took));
		this.failures.add(failed);
		System.out.println("[generations] ## " + failed);
		return failed;
	}

	/**
	 * Return {@code GET /actuator/upgrade}.
	 * @return the JSON status of the generation that answered
	 */
	String status() {
		Http.Response response = Http.get(this.port, "/actuator/upgrade", Duration.ofSeconds(10));
		assertThat(response.status()).as(response.text()).isEqualTo(200);
		return response.text();
	}

	/**
	 * Return whether a new connection is served by a later generation than the given one.
	 * @param generation the generation
	 * @return whether a later one answered
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

	/**
	 * Wait until a new connection is served by the given generation and the pid file
	 * names it.
	 * @param generation the generation
	 * @return its pid
	 */
	long awaitServing(int generation) {
		return awaitServing(generation, () -> {
		});
	}

	private long awaitServing(int generation, Runnable check) {
		try {
			return await("generation " + generation + " to serve on port " + this.port).atMost(READY_TIMEOUT)
				.pollDelay(Duration.ZERO)
				.pollInterval(Duration.ofMillis(50))
				.until(() -> {
					Long pid = servingPid(generation);
					if (pid == null) {
						check.run();
					}
					return pid;
				}, Objects::nonNull);
		}
		catch (ConditionTimeoutException ex) {
			throw new AssertionError("generation " + generation + " never served; pid file: '" + pidFileContent()
					+ "'\n---- " + this.log + " ----\n" + log(), ex);
		}
	}

	private Long servingPid(int generation) {
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
		long servedBy = Long.parseLong(response.header("X-Pid"));
		return (pidFileContent().equals(Long.toString(servedBy))) ? servedBy : null;
	}

	private String pidFileContent() {
		try {
			return Files.readString(this.pidFile, StandardCharsets.US_ASCII).trim();
		}
		catch (IOException ex) {
			return "";
		}
	}

	private static void awaitExit(long pid, Duration timeout) {
		await("pid " + pid + " to exit").atMost(timeout)
			.pollInterval(Duration.ofMillis(20))
			.until(() -> ProcessHandle.of(pid).map((p) -> !p.isAlive()).orElse(true));
	}

	/**
	 * Return every process whose command line runs this test's copy of the jar (an
	 * argument equal to its path, or a relative one that resolves to it from the
	 * process's working directory).
	 * @return their pids
	 */
	Set<Long> processesOfTheApp() {
		Set<Long> pids = new TreeSet<>();
		try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
			for (Path entry : (Iterable<Path>) entries::iterator) {
				String name = entry.getFileName().toString();
				if (!name.chars().allMatch(Character::isDigit)) {
					continue;
				}
				long pid = Long.parseLong(name);
				if (pid != ProcessHandle.current().pid() && runsTheJar(entry)) {
					pids.add(pid);
				}
			}
		}
		catch (IOException ex) {
			throw new AssertionError("Unable to list /proc", ex);
		}
		return pids;
	}

	private boolean runsTheJar(Path proc) {
		byte[] cmdline;
		try {
			cmdline = Files.readAllBytes(proc.resolve("cmdline"));
		}
		catch (NoSuchFileException ex) {
			return false;
		}
		catch (IOException ex) {
			return false;
		}
		for (String arg : new String(cmdline, StandardCharsets.UTF_8).split("\0")) {
			if (arg.isEmpty() || !arg.endsWith(this.jar.getFileName().toString())) {
				continue;
			}
			Path path = Path.of(arg);
			if (path.isAbsolute()) {
				if (path.normalize().equals(this.jar)) {
					return true;
				}
			}
			else {
				Optional<Path> cwd = readLink(proc.resolve("cwd"));
				if (cwd.isEmpty() || cwd.get().resolve(path).normalize().equals(this.jar)) {
					// a relative path we cannot resolve is counted, not ignored
					return true;
				}
			}
		}
		return false;
	}

	private static Optional<Path> readLink(Path link) {
		try {
			return Optional.of(Files.readSymbolicLink(link));
		}
		catch (IOException ex) {
			return Optional.empty();
		}
	}

	/**
	 * Return the processes running the jar copy once only the current generation runs it,
	 * or after 10 s: a process that is exiting may take a moment to leave {@code /proc}.
	 * @return their pids
	 */
	Set<Long> processesOfTheAppOnceSettled() {
		try {
			return await("only pid " + this.pid + " to run " + this.jar).atMost(Duration.ofSeconds(10))
				.pollDelay(Duration.ZERO)
				.pollInterval(Duration.ofMillis(100))
				.until(this::processesOfTheApp, (pids) -> pids.equals(Set.of(this.pid)));
		}
		catch (ConditionTimeoutException ex) {
			return processesOfTheApp();
		}
	}

	/** Stop every generation that was started, by pid. */
	@Override
	public void close() {
		this.app.close();
		System.out.println("---- " + this.log + " ----");
		log().lines().forEach((line) -> System.out.println("[" + this.app.name() + "] " + line));
		System.out.println("---- end of " + this.log + " ----");
		Set<Long> left = processesOfTheApp();
		if (!left.isEmpty()) {
			System.out.println("[generations] ## still running after cleanup: " + left);
			for (long leftover : left) {
				ProcessHandle.of(leftover).ifPresent(ProcessHandle::destroyForcibly);
			}
			try {
				TimeUnit.SECONDS.sleep(1);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
	}

}
