package io.zerodowntime;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * The working directory systemd gave this service, learnt from the service manager, for
 * generation 1 of a service whose logical working directory nothing else names. systemd
 * sets no {@code PWD}: under {@code WorkingDirectory=/opt/app/current} with
 * {@code ExecStart=/usr/bin/java -jar app.jar} the JVM sees only the resolved directory
 * ({@code user.dir} = {@code /opt/app/releases/r1}), and a switched {@code current} link
 * would not be followed. So, when {@code INVOCATION_ID} says this is a systemd service,
 * the unit is the last {@code *.service} element of this process's cgroup path
 * ({@code /proc/self/cgroup}) and its {@code WorkingDirectory=} comes from
 * {@code systemctl show} (over D-Bus for a service with {@code User=}, over systemd's
 * private socket for root; {@code --user} for a unit of a user's manager), bounded by
 * {@link #TIMEOUT}. It is used when it names the same directory (device and inode) as
 * {@code user.dir}. When it cannot be learnt, one WARN says why and names the fix. A
 * process whose cgroup names no service has inherited {@code INVOCATION_ID} from one (a
 * shell started in a service): systemd did not start it, and nothing is asked. Later
 * generations get {@code PWD} from their predecessor and never ask.
 */
final class ServiceWorkingDirectory {

	/** Set by systemd for every process of a service it starts. */
	static final String INVOCATION_ID = "INVOCATION_ID";

	/** How long {@code systemctl show} may take. */
	static final Duration TIMEOUT = Duration.ofSeconds(5);

	private static final Pattern UNIT_NAME = Pattern.compile("[A-Za-z0-9:_.\\\\@-]+\\.service");

	private static final Pattern USER_MANAGER = Pattern.compile("user@[0-9]+\\.service");

	private final String cgroup;

	private final Map<String, String> environment;

	private final Runner runner;

	/**
	 * Create the lookup.
	 * @param cgroup the text of {@code /proc/self/cgroup}, or {@code null} if it cannot
	 * be read
	 * @param environment this process's environment, in byte form
	 * @param runner how {@code systemctl} is run
	 */
	ServiceWorkingDirectory(String cgroup, Map<String, String> environment, Runner runner) {
		this.cgroup = cgroup;
		this.environment = environment;
		this.runner = runner;
	}

	/**
	 * The lookup for this process: its cgroup, the given environment, the real
	 * {@code systemctl}.
	 * @param environment this process's environment, in byte form
	 * @return the lookup
	 */
	static ServiceWorkingDirectory ofThisProcess(Map<String, String> environment) {
		String cgroup;
		try {
			cgroup = new String(Files.readAllBytes(Path.of("/proc/self/cgroup")), ByteStrings.BYTES);
		}
		catch (IOException | RuntimeException ex) {
			cgroup = null;
		}
		return new ServiceWorkingDirectory(cgroup, environment, Runner.PROCESS);
	}

	/**
	 * Return the working directory of the next generation: the chosen one, or, in
	 * generation 1 of a systemd service where only {@code user.dir} was found, the unit's
	 * {@code WorkingDirectory=} when it names the same directory.
	 * @param chosen the directory chosen from {@code PWD}, the {@code -jar} path or
	 * {@code user.dir}
	 * @param generation this generation's number
	 * @param files how paths are looked up
	 * @param warn where the warning goes when the unit's directory cannot be learnt
	 * @return the working directory
	 */
	WorkingDirectory choose(WorkingDirectory chosen, int generation, WorkingDirectory.Lookup files,
			Consumer<String> warn) {
		String invocation = this.environment.get(INVOCATION_ID);
		if (generation != 1 || !"user.dir".equals(chosen.source()) || invocation == null || invocation.isEmpty()) {
			return chosen;
		}
		if (this.cgroup == null) {
			warn.accept(warning(chosen, null, "/proc/self/cgroup, which names the unit, cannot be read"));
			return chosen;
		}
		String[] unit = unit();
		if (unit == null) {
			// INVOCATION_ID inherited (a shell in a service, a test): systemd did not
			// start this JVM
			return chosen;
		}
		String name = unit[0];
		List<String> command = new ArrayList<>(List.of(systemctl(), "show"));
		if (unit[1] != null) {
			command.add(unit[1]);
		}
		command.addAll(List.of("--property=LoadState", "--property=WorkingDirectory", "--", name));
		Answer answer;
		try {
			answer = this.runner.run(command, TIMEOUT);
		}
		catch (IOException ex) {
			warn.accept(warning(chosen, name, "unable to run " + String.join(" ", command) + ": " + ex.getMessage()));
			return chosen;
		}
		if (answer == null) {
			warn.accept(warning(chosen, name,
					String.join(" ", command) + " did not answer within " + TIMEOUT.toSeconds() + " s"));
			return chosen;
		}
		String loadState = property(answer.output(), "LoadState");
		String directory = property(answer.output(), "WorkingDirectory");
		if (answer.exitStatus() != 0 || loadState == null || directory == null) {
			warn.accept(warning(chosen, name, String.join(" ", command) + " exited with " + answer.exitStatus() + ": "
					+ oneLine(answer.output())));
			return chosen;
		}
		if (!loadState.equals("loaded")) {
			warn.accept(warning(chosen, name, "the service manager " + ((unit[1] != null) ? "of the user " : "")
					+ "does not know the unit (LoadState=" + ByteStrings.toText(loadState) + ")"));
			return chosen;
		}
		String path = absolute(directory);
		Object here = files.directoryKey(chosen.physical());
		if (path != null && here != null && here.equals(files.directoryKey(path))) {
			return new WorkingDirectory(path, chosen.physical(), "WorkingDirectory= of " + name);
		}
		// no WorkingDirectory= (or another directory): this JVM's own directory is the
		// logical one
		return chosen;
	}

	/** The unit's name and the option naming its manager ({@code --user} or none). */
	private String[] unit() {
		for (String line : this.cgroup.split("\n")) {
			// hierarchy-ID:controllers:path; the unified one ("0::") or systemd's own v1
			// one
			String[] fields = line.split(":", 3);
			if (fields.length == 3 && (fields[1].isEmpty() || fields[1].equals("name=systemd"))) {
				String[] elements = fields[2].split("/");
				for (int i = elements.length - 1; i >= 0; i--) {
					if (UNIT_NAME.matcher(elements[i]).matches() && !elements[i].startsWith("-")) {
						boolean user = false;
						for (int j = 0; j < i; j++) {
							user |= USER_MANAGER.matcher(elements[j]).matches();
						}
						return new String[] { elements[i], user ? "--user" : null };
					}
				}
			}
		}
		return null;
	}

	/** {@code WorkingDirectory=} as an absolute path: {@code ~} is the home directory. */
	private String absolute(String directory) {
		// "!" marks WorkingDirectory=-PATH (a missing directory is not an error)
		String path = directory.startsWith("!") ? directory.substring(1) : directory;
		if (path.equals("~")) {
			path = this.environment.get("HOME");
		}
		return (path != null && path.startsWith("/")) ? trimSlashes(path) : null;
	}

	private static String property(String output, String name) {
		for (String line : output.split("\n")) {
			if (line.startsWith(name + "=")) {
				return line.substring(name.length() + 1);
			}
		}
		return null;
	}

	private static String oneLine(String output) {
		String text = ByteStrings.toText(output).strip().replaceAll("\\s*\n\\s*", "; ");
		return text.isEmpty() ? "no output" : text;
	}

	private static String trimSlashes(String path) {
		String trimmed = path;
		while (trimmed.length() > 1 && trimmed.endsWith("/")) {
			trimmed = trimmed.substring(0, trimmed.length() - 1);
		}
		return trimmed;
	}

	private static String systemctl() {
		for (String candidate : List.of("/usr/bin/systemctl", "/bin/systemctl")) {
			if (new File(candidate).canExecute()) {
				return candidate;
			}
		}
		return "systemctl";
	}

	private static String warning(WorkingDirectory chosen, String unit, String reason) {
		String here = ByteStrings.toText(chosen.physical());
		return "This application runs as a systemd service" + ((unit != null) ? " (" + unit + ")" : "")
				+ ", and its unit's WorkingDirectory= could not be learnt from the service manager: " + reason
				+ ". systemd sets no PWD, so the next generation will start in " + here
				+ " itself: if WorkingDirectory= is a symbolic link that a deploy switches (e.g. "
				+ "/opt/app/current -> releases/r1), an upgrade would run the old release again. Fix the unit: add "
				+ "Environment=PWD=<the WorkingDirectory= path> (e.g. Environment=PWD=/opt/app/current), or give "
				+ "the jar by its absolute path through the link (ExecStart=/usr/bin/java -jar "
				+ "/opt/app/current/app.jar).";
	}

	/**
	 * What {@code systemctl} answered.
	 *
	 * @param exitStatus its exit status
	 * @param output what it wrote (standard output and error), in byte form
	 */
	record Answer(int exitStatus, String output) {
	}

	/** How a command is run: a real process, or a fake in tests. */
	@FunctionalInterface
	interface Runner {

		/** At most this much output is read. */
		int OUTPUT_LIMIT = 64 * 1024;

		/**
		 * Run a command and wait for it.
		 * @param command the command
		 * @param timeout how long it may take
		 * @return what it answered, or {@code null} if it did not exit in time (it is
		 * killed)
		 * @throws IOException if it cannot be started
		 */
		Answer run(List<String> command, Duration timeout) throws IOException;

		/**
		 * Remove from a command's environment what is meant for this JVM alone: the
		 * notification socket (systemd's tools report a failure there, {@code ERRNO=},
		 * and systemd logs a notification from a process that is not the main one), the
		 * descriptors passed to it and the handover between generations.
		 * @param environment the environment, changed in place
		 */
		static void scrub(Map<String, String> environment) {
			environment.remove(SdNotify.NOTIFY_SOCKET);
			environment.keySet().removeAll(Handshake.VARIABLES);
		}

		/**
		 * A process, its standard input from {@code /dev/null}, in this JVM's environment
		 * without what is meant for this JVM alone ({@link #scrub}).
		 */
		Runner PROCESS = (command, timeout) -> {
			ProcessBuilder builder = new ProcessBuilder(command).redirectInput(new File("/dev/null"))
				.redirectErrorStream(true);
			scrub(builder.environment());
			Process process = builder.start();
			try {
				if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
					process.destroyForcibly();
					return null;
				}
				try (InputStream output = process.getInputStream()) {
					byte[] bytes = output.readNBytes(OUTPUT_LIMIT);
					return new Answer(process.exitValue(), new String(bytes, ByteStrings.BYTES));
				}
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				process.destroyForcibly();
				throw new IOException("interrupted while waiting for " + command.get(0), ex);
			}
		};

	}

}
