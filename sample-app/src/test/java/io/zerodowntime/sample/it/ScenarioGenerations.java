package io.zerodowntime.sample.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.awaitility.core.ConditionTimeoutException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.awaitility.Awaitility.await;

/**
 * Follows the generations of one application (for {@link UpgradeScenariosIT}) through its
 * port, its PID file and {@code /actuator/upgrade}, and registers every generation it
 * sees with {@link AppProcess#alsoKill(long)}, so the test's {@link AppProcess#close()}
 * stops them all by pid.
 *
 * <p>
 * Later generations are not children of the started process (the handover is a double
 * fork), so they are found here: from the {@code X-Pid} header and the PID file, and, as
 * a last resort for a generation that never became ready, by reading
 * {@code /proc/<pid>/cmdline} for this test's own copy of the jar (a path in a
 * {@code @TempDir}, so only processes this test started can match). Nothing is ever
 * signalled by name: every signal goes to one pid.
 */
final class ScenarioGenerations {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private final AppProcess app;

	private final int port;

	private final Path pidFile;

	private final Path jar;

	private final ScenarioLog log;

	private final List<Long> pids = new ArrayList<>();

	/**
	 * Follow an application.
	 * @param app the started process (generation 1), which stops every registered pid
	 * @param port its HTTP port
	 * @param pidFile its {@code zerodowntime.pid-file}
	 * @param jar the copy of the jar it runs
	 * @param log the console of its generations
	 */
	ScenarioGenerations(AppProcess app, int port, Path pidFile, Path jar, ScenarioLog log) {
		this.app = app;
		this.port = port;
		this.pidFile = pidFile;
		this.jar = jar;
		this.log = log;
	}

	/**
	 * Wait until generation {@code number} serves {@code GET /} and has written its pid
	 * to the PID file, and register it for cleanup.
	 * @param number the generation
	 * @param timeout how long to wait
	 * @return its pid
	 */
	long awaitGeneration(int number, Duration timeout) {
		Long pid;
		try {
			pid = await("generation " + number + " to serve on port " + this.port + " and own the PID file")
				.atMost(timeout)
				.pollDelay(Duration.ZERO)
				.pollInterval(Duration.ofMillis(100))
				.until(() -> {
					Http.Response response;
					try {
						response = Http.get(this.port, "/", Duration.ofSeconds(5));
					}
					catch (UncheckedIOException ex) {
						return null;
					}
					if (response.status() != 200 || !Integer.toString(number).equals(response.header("X-Generation"))) {
						return null;
					}
					long served = Long.parseLong(response.header("X-Pid"));
					return (pidFileContent().equals(Long.toString(served))) ? served : null;
				}, (p) -> p != null);
		}
		catch (ConditionTimeoutException ex) {
			registerLeftovers();
			throw new AssertionError("Generation " + number + " did not come up within " + timeout + "; PID file: '"
					+ pidFileContent() + "'\n---- " + this.log.file() + " ----\n" + this.log.text() + "\n---- end ----",
					ex);
		}
		this.app.alsoKill(pid);
		this.pids.add(pid);
		return pid;
	}

	/**
	 * Return the pids of the generations seen so far, in order.
	 * @return the pids
	 */
	List<Long> pids() {
		return List.copyOf(this.pids);
	}

	/**
	 * Return what the PID file says now.
	 * @return its trimmed content, or an empty string if there is none
	 */
	String pidFileContent() {
		try {
			return Files.readString(this.pidFile, StandardCharsets.US_ASCII).trim();
		}
		catch (NoSuchFileException ex) {
			return "";
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * {@code GET /actuator/upgrade}, parsed.
	 * @return the status
	 */
	JsonNode status() {
		Http.Response response = Http.get(this.port, "/actuator/upgrade", Duration.ofSeconds(10));
		if (response.status() != 200) {
			throw new AssertionError("GET /actuator/upgrade answered " + response);
		}
		return JSON.readTree(response.text());
	}

	/**
	 * {@code POST /actuator/upgrade}: waits for the outcome.
	 * @return the response
	 */
	Http.Response postUpgrade() {
		return Http.postEmptyJson(this.port, "/actuator/upgrade", Duration.ofSeconds(120));
	}

	/**
	 * Parse a JSON body.
	 * @param response the response
	 * @return the body
	 */
	static JsonNode json(Http.Response response) {
		return JSON.readTree(response.text());
	}

	/**
	 * Wait until a generation has learned that its predecessor exited (it refuses to be
	 * upgraded before), from the line it logs then.
	 * @param parentPid the predecessor
	 */
	void awaitParentExitSeen(long parentPid) {
		this.log.awaitLine("Previous generation \\(pid " + parentPid + "\\) has exited", Duration.ofSeconds(60));
	}

	/**
	 * Wait until a process is gone (see {@link #isRunning(long)}).
	 * @param pid the process
	 * @param timeout how long to wait
	 */
	static void awaitGone(long pid, Duration timeout) {
		await("pid " + pid + " to exit").atMost(timeout)
			.pollDelay(Duration.ZERO)
			.pollInterval(Duration.ofMillis(50))
			.until(() -> !isRunning(pid));
	}

	/**
	 * Return whether a process runs. A zombie does not: later generations are orphans
	 * (double fork) that stay zombies until init reaps them, and {@link ProcessHandle}
	 * reports a zombie as alive. A process whose main thread is a zombie while its other
	 * threads are still exiting (during SIGKILL) still runs.
	 * @param pid the process
	 * @return whether it runs
	 */
	static boolean isRunning(long pid) {
		Path proc = Path.of("/proc", Long.toString(pid));
		String stat;
		try {
			stat = Files.readString(proc.resolve("stat"), StandardCharsets.US_ASCII);
		}
		catch (IOException ex) {
			return false;
		}
		char state = stat.charAt(stat.lastIndexOf(')') + 2);
		if (state != 'Z' && state != 'X') {
			return true;
		}
		try (Stream<Path> tasks = Files.list(proc.resolve("task"))) {
			return tasks.count() > 1;
		}
		catch (IOException ex) {
			return false;
		}
	}

	/**
	 * Send a signal to one process with {@code kill(1)}.
	 * @param pid the process
	 * @param signal the signal name without {@code SIG}, e.g. {@code HUP}
	 */
	static void signal(long pid, String signal) {
		try {
			Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true)
				.start();
			if (!kill.waitFor(10, TimeUnit.SECONDS)) {
				kill.destroyForcibly();
				throw new AssertionError("kill -" + signal + " " + pid + " did not return");
			}
			String output = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
			if (kill.exitValue() != 0) {
				throw new AssertionError("kill -" + signal + " " + pid + " failed: " + output);
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new AssertionError(ex);
		}
	}

	/**
	 * Return the pids of every running process (zombies have no command line) that has an
	 * argument equal to this application's jar, read from {@code /proc/<pid>/cmdline}.
	 * Read-only.
	 * @return the pids
	 */
	Set<Long> pidsRunningTheJar() {
		return pidsWithArgument(this.jar.toString());
	}

	/**
	 * Return the pids of every running process, but this one, with an argument equal to a
	 * string ({@code /proc/<pid>/cmdline}). Read-only.
	 * @param argument the argument
	 * @return the pids
	 */
	static Set<Long> pidsWithArgument(String argument) {
		Set<Long> pids = new LinkedHashSet<>();
		long self = ProcessHandle.current().pid();
		try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
			for (Path entry : (Iterable<Path>) entries::iterator) {
				String name = entry.getFileName().toString();
				if (!name.chars().allMatch(Character::isDigit) || Long.parseLong(name) == self) {
					continue;
				}
				byte[] cmdline;
				try {
					cmdline = Files.readAllBytes(entry.resolve("cmdline"));
				}
				catch (IOException ex) {
					continue; // exited meanwhile, or not ours to read
				}
				List<String> args = Arrays.asList(new String(cmdline, StandardCharsets.UTF_8).split("\0"));
				if (args.contains(argument)) {
					pids.add(Long.parseLong(name));
				}
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		return pids;
	}

	/**
	 * Register for cleanup every process still running this test's copy of the jar: a
	 * generation that never became ready, and so was never seen by
	 * {@link #awaitGeneration}. Call before {@link AppProcess#close()}.
	 */
	void registerLeftovers() {
		for (long pid : pidsRunningTheJar()) {
			this.app.alsoKill(pid);
		}
	}

	/**
	 * Return the mask of ignored signals of a process ({@code SigIgn} in
	 * {@code /proc/<pid>/status}).
	 * @param pid the process
	 * @return the mask: bit {@code n - 1} for signal {@code n}
	 */
	static long ignoredSignals(long pid) {
		try {
			for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
				if (line.startsWith("SigIgn:")) {
					return Long.parseUnsignedLong(line.substring("SigIgn:".length()).trim(), 16);
				}
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		throw new AssertionError("No SigIgn in /proc/" + pid + "/status");
	}

}
