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
 * Follows the generations of one application through its port, its PID file and
 * {@code /actuator/upgrade}, and registers every generation it sees with
 * {@link AppProcess#alsoKill(long)}, so the test's {@link AppProcess#close()} stops them
 * all by pid.
 *
 * <p>
 * Later generations are not children of the started process (the handover is a double
 * fork), so they are found here: from the {@code X-Pid} header and the PID file, and, as
 * a last resort for a generation that never became ready, by reading
 * {@code /proc/<pid>/cmdline} for this test's own copy of the jar (a path in a
 * {@code @TempDir}, so only processes this test started can match). Nothing is ever
 * signalled by name: every signal goes to one pid.
 */
public final class Generations {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private final AppProcess app;

	private final int port;

	private final Path pidFile;

	private final Path jar;

	private final List<Long> pids = new ArrayList<>();

	/**
	 * Follow an application.
	 * @param app the started process (generation 1), which stops every registered pid
	 * @param port its HTTP port
	 * @param pidFile its {@code zerodowntime.pid-file}
	 * @param jar the copy of the jar it runs
	 */
	public Generations(AppProcess app, int port, Path pidFile, Path jar) {
		this.app = app;
		this.port = port;
		this.pidFile = pidFile;
		this.jar = jar;
	}

	/**
	 * Wait until generation {@code number} serves {@code GET /} and has written its pid to
	 * the PID file, and register it for cleanup.
	 * @param number the generation
	 * @param timeout how long to wait
	 * @return its pid
	 */
	public long awaitGeneration(int number, Duration timeout) {
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
			throw new AssertionError("Generation " + number + " did not come up within " + timeout
					+ "; PID file: '" + pidFileContent() + "'\n---- output ----\n" + this.app.output(), ex);
		}
		this.app.alsoKill(pid);
		this.pids.add(pid);
		return pid;
	}

	/**
	 * Return the pids of the generations seen so far, in order.
	 * @return the pids
	 */
	public List<Long> pids() {
		return List.copyOf(this.pids);
	}

	/**
	 * Return what the PID file says now.
	 * @return its trimmed content, or an empty string if there is none
	 */
	public String pidFileContent() {
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
	public JsonNode status() {
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
	public Http.Response postUpgrade() {
		return Http.postEmptyJson(this.port, "/actuator/upgrade", Duration.ofSeconds(120));
	}

	/**
	 * Parse a JSON body.
	 * @param response the response
	 * @return the body
	 */
	public static JsonNode json(Http.Response response) {
		return JSON.readTree(response.text());
	}

	/**
	 * Wait until a generation has learned that its predecessor exited (it refuses to be
	 * upgraded before), from the line it logs then.
	 * @param parentPid the predecessor
	 */
	public void awaitParentExitSeen(long parentPid) {
		this.app.awaitLog("Previous generation \\(pid " + parentPid + "\\) has exited", Duration.ofSeconds(60));
	}

	/**
	 * Wait until a process is gone (exited; a zombie counts as gone).
	 * @param pid the process
	 * @param timeout how long to wait
	 */
	public static void awaitGone(long pid, Duration timeout) {
		await("pid " + pid + " to exit").atMost(timeout)
			.pollDelay(Duration.ZERO)
			.pollInterval(Duration.ofMillis(50))
			.until(() -> !isRunning(pid));
	}

	/**
	 * Return whether a process runs (a zombie does not).
	 * @param pid the process
	 * @return whether it runs
	 */
	public static boolean isRunning(long pid) {
		return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
	}

	/**
	 * Send a signal to one process with {@code kill(1)}.
	 * @param pid the process
	 * @param signal the signal name without {@code SIG}, e.g. {@code HUP}
	 */
	public static void signal(long pid, String signal) {
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
	 * Return the pids of every running process (zombies have no command line) that has
	 * an argument equal to this application's jar, read from {@code /proc/<pid>/cmdline}.
	 * Read-only.
	 * @return the pids
	 */
	public Set<Long> pidsRunningTheJar() {
		return pidsWithArgument(this.jar.toString());
	}

	/**
	 * Return the pids of every running process, but this one, with an argument equal to
	 * a string ({@code /proc/<pid>/cmdline}). Read-only.
	 * @param argument the argument
	 * @return the pids
	 */
	public static Set<Long> pidsWithArgument(String argument) {
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
	public void registerLeftovers() {
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
	public static long ignoredSignals(long pid) {
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
