package io.zerodowntime.sample.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A real operating-system process running the packaged sample application
 * ({@code java -jar sample-app.jar}), for integration tests that need what only a real
 * process has: its pid, its inherited descriptors, its environment as the kernel shows
 * it, its exit code and its console output.
 *
 * <p>
 * The JVM is the one running the tests ({@code ${java.home}/bin/java}), so running the
 * suite under another JDK tests the application under that JDK. The command may be
 * wrapped by a launcher that ends by exec'ing it (e.g. {@code systemd-socket-activate} or
 * {@code sh -c '... exec "$@"'}), in which case the launcher's pid becomes the JVM's pid.
 *
 * <p>
 * Every line the process prints is kept and also copied to the test log, prefixed with
 * the process's name. {@link #close()} stops, by pid, what was started, every process
 * registered with {@link #alsoKill(long)} and every descendant still running: SIGTERM, up
 * to 15 seconds' grace, then SIGKILL. Nothing is ever killed by name.
 */
public final class AppProcess implements AutoCloseable {

	/** How long {@link #close()} waits after SIGTERM before SIGKILL. */
	public static final Duration TERM_GRACE = Duration.ofSeconds(15);

	private static final Set<AppProcess> LIVE = Collections.synchronizedSet(new LinkedHashSet<>());

	static {
		Runtime.getRuntime().addShutdownHook(new Thread(AppProcess::killLeftovers, "app-process-reaper"));
	}

	private final String name;

	private final List<String> command;

	private final Process process;

	private final List<String> lines = Collections.synchronizedList(new ArrayList<>());

	private final CountDownLatch drained = new CountDownLatch(2);

	private final Set<ProcessHandle> alsoKill = Collections.synchronizedSet(new LinkedHashSet<>());

	private final Path logFile;

	private volatile boolean closed;

	private AppProcess(String name, List<String> command, Process process, Path logFile) {
		this.logFile = logFile;
		this.name = name;
		this.command = command;
		this.process = process;
		pump(process.getInputStream(), "");
		pump(process.getErrorStream(), "!");
		LIVE.add(this);
	}

	/** Start describing a process. */
	public static Builder builder(String name) {
		return new Builder(name);
	}

	/**
	 * Return the application under test: the system property {@code it.app.jar} (to run
	 * the suite against another application with the same endpoints and headers, such as
	 * {@code sample-heavy/target/sample-heavy.jar}), else {@code sampleApp.jar} (set by
	 * the failsafe configuration), else {@code target/sample-app.jar}.
	 */
	public static Path jar() {
		String jar = System.getProperty("it.app.jar", System.getProperty("sampleApp.jar", "target/sample-app.jar"));
		return Path.of(jar).toAbsolutePath();
	}

	/** Return the {@code java} launcher of the JDK running the tests. */
	public static Path java() {
		return Path.of(System.getProperty("java.home"), "bin", "java");
	}

	/** Return the name of this process in the test log. */
	public String name() {
		return this.name;
	}

	/** Return the command line that was started. */
	public List<String> command() {
		return this.command;
	}

	/**
	 * Return the pid of the process that was started, whatever it runs now (the launcher
	 * until it execs the JVM, then the JVM).
	 */
	public long processPid() {
		return this.process.pid();
	}

	/**
	 * Return the pid of the application's JVM. When a launcher wraps the JVM it must exec
	 * it, so the pid is the started one: this waits (up to 30 s) until that pid runs the
	 * {@code java} executable and fails otherwise.
	 */
	public long pid() {
		long pid = this.process.pid();
		Path java = realPath(java());
		try {
			Awaitility.await("pid " + pid + " to run " + java)
				.atMost(Duration.ofSeconds(30))
				.pollInterval(Duration.ofMillis(50))
				.until(() -> {
					Optional<Path> exe = Procfs.exe(pid);
					if (exe.isEmpty() && !this.process.isAlive()) {
						throw new AssertionError(
								failureMessage("exited (code " + this.process.exitValue() + ") before it ran " + java));
					}
					return exe.map(java::equals).orElse(false);
				});
		}
		catch (ConditionTimeoutException ex) {
			throw new AssertionError(
					failureMessage("pid " + pid + " runs " + Procfs.exe(pid).map(Path::toString).orElse("nothing")
							+ ", not " + java + ": a launcher must exec the JVM"),
					ex);
		}
		return pid;
	}

	/** Return whether the started process is still running. */
	public boolean isAlive() {
		return this.process.isAlive();
	}

	/**
	 * Register another process to stop on {@link #close()}, such as a later generation
	 * started by this one. The process is remembered with its start time, so a recycled
	 * pid is never killed.
	 */
	public void alsoKill(long pid) {
		ProcessHandle.of(pid)
			.ifPresentOrElse(this.alsoKill::add,
					() -> log("pid " + pid + " registered for cleanup has already exited"));
	}

	/** Return every line printed so far, stdout and stderr interleaved as read. */
	public List<String> lines() {
		List<String> lines;
		synchronized (this.lines) {
			lines = new ArrayList<>(this.lines);
		}
		try {
			if (this.logFile != null && Files.exists(this.logFile)) {
				lines.addAll(List.of(Files.readString(this.logFile, StandardCharsets.ISO_8859_1).split("\n")));
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		return lines;
	}

	/** Return everything printed so far. */
	public String output() {
		return String.join("\n", lines());
	}

	/**
	 * Wait until a line matching a regular expression has been printed (searched with
	 * {@link Matcher#find()}). Fails at once, with the output, if the process exits
	 * first.
	 */
	public Matcher awaitLog(String regex, Duration timeout) {
		Pattern pattern = Pattern.compile(regex);
		AtomicReference<Matcher> found = new AtomicReference<>();
		try {
			Awaitility.await("a line matching /" + regex + "/ from " + this.name)
				.atMost(timeout)
				.pollDelay(Duration.ZERO)
				.pollInterval(Duration.ofMillis(50))
				.until(() -> {
					boolean finished = this.logFile == null && !this.process.isAlive() && this.drained.getCount() == 0;
					Optional<Matcher> match = find(pattern);
					if (match.isPresent()) {
						found.set(match.get());
						return true;
					}
					if (finished) {
						throw new AssertionError(failureMessage("exited with code " + this.process.exitValue()
								+ " without printing a line matching /" + regex + "/"));
					}
					return false;
				});
		}
		catch (ConditionTimeoutException ex) {
			throw new AssertionError(failureMessage("printed no line matching /" + regex + "/ within " + timeout), ex);
		}
		return found.get();
	}

	/** Return the first line printed so far that matches. */
	public Optional<Matcher> findLog(String regex) {
		return find(Pattern.compile(regex));
	}

	private Optional<Matcher> find(Pattern pattern) {
		for (String line : lines()) {
			Matcher matcher = pattern.matcher(line);
			if (matcher.find()) {
				return Optional.of(matcher);
			}
		}
		return Optional.empty();
	}

	/**
	 * Wait for the process to exit by itself and for its output to be read to the end.
	 */
	public int awaitExit(Duration timeout) {
		try {
			Awaitility.await(this.name + " to exit")
				.atMost(timeout)
				.pollInterval(Duration.ofMillis(50))
				.until(() -> !this.process.isAlive() && this.drained.getCount() == 0);
		}
		catch (ConditionTimeoutException ex) {
			throw new AssertionError(failureMessage("did not exit within " + timeout), ex);
		}
		return this.process.exitValue();
	}

	/**
	 * Wait for the started process to exit, not for the end of its output (which never
	 * comes while a later generation that inherited it still runs).
	 */
	public int awaitProcessExit(Duration timeout) {
		try {
			if (!this.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
				throw new AssertionError(failureMessage("did not exit within " + timeout));
			}
			return this.process.exitValue();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * Fail, naming the tool and the fix, unless a tool the suite needs is installed (an
	 * absolute path, or a name looked up on the {@code PATH}): a missing tool must fail
	 * the run, not skip part of it. {@code .ci/run} installs every one.
	 */
	public static Path requireTool(String executable, String debianPackage, String why) {
		List<Path> candidates = new ArrayList<>();
		if (executable.startsWith("/")) {
			candidates.add(Path.of(executable));
		}
		else {
			for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
				candidates.add(Path.of(dir.isEmpty() ? "." : dir, executable));
			}
		}
		return candidates.stream()
			.filter((candidate) -> Files.isRegularFile(candidate) && Files.isExecutable(candidate))
			.findFirst()
			.orElseThrow(() -> new AssertionError(executable + " is not installed: " + why
					+ "; install it with 'apt-get install " + debianPackage + "' (.ci/run installs it)"));
	}

	/** Run a short command and wait for it, failing if it fails. */
	public static String run(String... command) {
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

	/**
	 * Stop everything this fixture started or was told about, by pid: SIGTERM to the
	 * started process, its descendants and the registered processes, then SIGKILL to
	 * whatever is still running after {@link #TERM_GRACE}, then reap the started process.
	 */
	@Override
	public void close() {
		if (this.closed) {
			return;
		}
		this.closed = true;
		try {
			List<ProcessHandle> targets = targets();
			for (ProcessHandle target : targets) {
				if (target.isAlive()) {
					log("SIGTERM to pid " + target.pid());
					target.destroy();
				}
			}
			try {
				Awaitility.await("processes of " + this.name + " to exit after SIGTERM")
					.atMost(TERM_GRACE)
					.pollInterval(Duration.ofMillis(50))
					.until(() -> targets.stream().noneMatch(ProcessHandle::isAlive));
			}
			catch (ConditionTimeoutException ex) {
				// killed below
			}
			for (ProcessHandle target : targets) {
				if (target.isAlive()) {
					log("pid " + target.pid() + " still running " + TERM_GRACE.toSeconds()
							+ " s after SIGTERM: SIGKILL");
					target.destroyForcibly();
				}
			}
			try {
				// reaps the started process; the others are not our children
				if (!this.process.waitFor(10, TimeUnit.SECONDS)) {
					log("pid " + this.process.pid() + " survived SIGKILL");
				}
				this.drained.await(5, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
		finally {
			LIVE.remove(this);
		}
	}

	private List<ProcessHandle> targets() {
		Set<ProcessHandle> targets = new LinkedHashSet<>();
		ProcessHandle started = this.process.toHandle();
		targets.add(started);
		started.descendants().forEach(targets::add);
		synchronized (this.alsoKill) {
			for (ProcessHandle other : this.alsoKill) {
				targets.add(other);
				other.descendants().forEach(targets::add);
			}
		}
		targets.removeIf((handle) -> handle.pid() == ProcessHandle.current().pid());
		return new ArrayList<>(targets);
	}

	private static void killLeftovers() {
		List<AppProcess> live;
		synchronized (LIVE) {
			live = new ArrayList<>(LIVE);
		}
		for (AppProcess app : live) {
			for (ProcessHandle target : app.targets()) {
				target.destroyForcibly();
			}
		}
	}

	private void pump(InputStream stream, String suffix) {
		String prefix = "[" + this.name + suffix + "] ";
		Thread thread = new Thread(() -> {
			try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
				String line;
				while ((line = reader.readLine()) != null) {
					this.lines.add(line);
					System.out.println(prefix + line);
				}
			}
			catch (IOException ex) {
				System.out.println(prefix + "<output unreadable: " + ex + ">");
			}
			finally {
				this.drained.countDown();
			}
		}, "output-" + this.name + suffix);
		thread.setDaemon(true);
		thread.start();
	}

	private String failureMessage(String problem) {
		return this.name + " (pid " + this.process.pid() + ", " + String.join(" ", this.command) + ") " + problem + "\n"
				+ tail();
	}

	/**
	 * Return the last 200 lines of output, for a failure message (the whole log is
	 * printed at close).
	 */
	String tail() {
		List<String> lines = lines();
		return "---- last lines of output ----\n"
				+ String.join("\n", lines.subList(Math.max(0, lines.size() - 200), lines.size()))
				+ "\n---- end of output ----";
	}

	private void log(String message) {
		System.out.println("[" + this.name + "] ## " + message);
	}

	private static Path realPath(Path path) {
		try {
			return path.toRealPath();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/** Describes the process to start. */
	public static final class Builder {

		private final String name;

		private final List<String> launcher = new ArrayList<>();

		private final List<String> jvmArgs = new ArrayList<>();

		private final List<String> args = new ArrayList<>();

		private final Map<String, String> env = new LinkedHashMap<>();

		private final Set<String> unsetEnv = new LinkedHashSet<>(
				List.of("LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS"));

		private Path jar = AppProcess.jar();

		private Path directory;

		private Path logFile;

		private Builder(String name) {
			this.name = name;
		}

		/**
		 * Wrap the JVM's command line: the launcher is run with the JVM's command line
		 * appended, and must exec it.
		 */
		public Builder launcher(String... launcher) {
			this.launcher.addAll(Arrays.asList(launcher));
			return this;
		}

		/** Add options for the JVM (before {@code -jar}). */
		public Builder jvmArgs(String... jvmArgs) {
			this.jvmArgs.addAll(Arrays.asList(jvmArgs));
			return this;
		}

		/** Add application arguments (after the jar). */
		public Builder args(String... args) {
			this.args.addAll(Arrays.asList(args));
			return this;
		}

		/**
		 * Set an environment variable. The test JVM's environment is inherited, except
		 * the socket-activation variables and JVM option variables, which are removed
		 * unless set here.
		 */
		public Builder env(String name, String value) {
			this.env.put(name, value);
			this.unsetEnv.remove(name);
			return this;
		}

		/** Remove an inherited environment variable. */
		public Builder unsetEnv(String name) {
			this.env.remove(name);
			this.unsetEnv.add(name);
			return this;
		}

		/** Run another jar than {@link AppProcess#jar()}. */
		public Builder jar(Path jar) {
			this.jar = jar;
			return this;
		}

		/** Set the working directory (default: the test's). */
		public Builder directory(Path directory) {
			this.directory = directory;
			return this;
		}

		/**
		 * Send the JVM's stdout and stderr to a file, opened for appending by a shell
		 * that then execs the JVM (after the other launchers), and read it with the rest
		 * of the output. Every later generation inherits it and appends to the same file.
		 * A pipe to the test would not do: the JDK closes its end of a child's pipes when
		 * the child exits, so the lines of every generation after the first would be lost
		 * once the first is gone.
		 */
		public Builder logTo(Path file) {
			this.logFile = file;
			return this;
		}

		/** Start the process. */
		public AppProcess start() {
			Path jarFile = (this.directory != null) ? this.directory.resolve(this.jar) : this.jar;
			if (!Files.isRegularFile(jarFile)) {
				throw new IllegalStateException("No application jar at " + this.jar
						+ ": run the integration tests with 'mvn verify' so that 'package' builds it");
			}
			List<String> command = new ArrayList<>(this.launcher);
			if (this.logFile != null) {
				command.addAll(List.of("/bin/sh", "-c", "log=$1; shift; exec \"$@\" >>\"$log\" 2>&1", "sh",
						this.logFile.toString()));
			}
			command.add(java().toString());
			command.addAll(this.jvmArgs);
			command.add("-jar");
			command.add(this.jar.toString());
			command.addAll(this.args);
			ProcessBuilder builder = new ProcessBuilder(command);
			builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
			this.unsetEnv.forEach(builder.environment()::remove);
			builder.environment().putAll(this.env);
			if (this.directory != null) {
				builder.directory(this.directory.toFile());
			}
			System.out.println("[" + this.name + "] ## starting " + String.join(" ", command)
					+ (this.env.isEmpty() ? "" : " with " + this.env));
			try {
				Process process = builder.start();
				AppProcess app = new AppProcess(this.name, List.copyOf(command), process, this.logFile);
				app.log("started pid " + process.pid());
				return app;
			}
			catch (IOException ex) {
				throw new UncheckedIOException("Unable to start " + command, ex);
			}
		}

	}

}
