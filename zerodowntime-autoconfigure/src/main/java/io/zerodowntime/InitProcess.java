package io.zerodowntime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * Why a generation in a container cannot be upgraded in place. The new generation is
 * started through a double fork, so it is re-parented to PID 1 of the PID namespace, and
 * when PID 1 exits the kernel kills every process of the namespace. So:
 * <ul>
 * <li>a JVM that is PID 1 itself ({@code java -jar app.jar} as the image's entrypoint)
 * would take its successor down when it exits after the handover (and never reaps
 * it);</li>
 * <li>a JVM that PID 1 started and waits for, PID 1 being an init that exits with its
 * child ({@code tini}, {@code docker run --init}, {@code dumb-init}) or a shell that runs
 * {@code java} without {@code exec}, would do the same through its parent: the upgrade
 * would report success, then the whole container would stop. A JVM that such a PID 1 only
 * adopted (started with {@code nohup ... &} by a shell that has exited) is not
 * concerned.</li>
 * </ul>
 * Upgrades are refused there, with what works instead.
 */
final class InitProcess {

	/** Programs that, as PID 1, exit as soon as the one child they started exits. */
	static final Set<String> EXITS_WITH_CHILD = Set.of("tini", "docker-init", "dumb-init", "catatonit", "sh", "bash",
			"dash", "ash", "busybox");

	private static final String FIX = "Deploy a new release by replacing the container (a rolling update), and set "
			+ "zerodowntime.enabled=false in the image; or run the application under a service manager that follows "
			+ "the main pid across generations (systemd with Type=notify, as the shipped units do). An init such "
			+ "as docker run --init, tini or dumb-init does not help: it exits when its first child, generation 1, "
			+ "exits";

	private InitProcess() {
	}

	/**
	 * Return why this process cannot upgrade, or {@code null} if it can.
	 * @return the reason, or {@code null}
	 */
	static String problem() {
		long pid = ProcessHandle.current().pid();
		long ppid = ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(0L);
		if (pid == 1 || ppid != 1) {
			return problem(pid, ppid, null, null, null);
		}
		return problem(pid, ppid, read("/proc/1/comm"), read("/proc/1/cmdline"), read("/proc/self/cmdline"));
	}

	/**
	 * Return why a process cannot upgrade, or {@code null} if it can.
	 * @param pid its pid in its own PID namespace
	 * @param ppid its parent's pid
	 * @param initName the command name of PID 1 ({@code /proc/1/comm}), or {@code null}
	 * @param initCommand PID 1's command line, arguments separated by NUL, or
	 * {@code null}
	 * @param ownCommand this process's command line, arguments separated by NUL, or
	 * {@code null}
	 * @return the reason, or {@code null}
	 */
	static String problem(long pid, long ppid, String initName, String initCommand, String ownCommand) {
		if (pid == 1) {
			return "this JVM is PID 1 of its PID namespace (the container's entrypoint): a new generation would be "
					+ "killed by the kernel when this one exits after the handover. " + FIX;
		}
		if (ppid == 1 && initName != null && EXITS_WITH_CHILD.contains(initName)
				&& startedBy(initCommand, ownCommand)) {
			return "this JVM's parent is PID 1 of its PID namespace, " + initName + ", which exits when this JVM "
					+ "exits: after a handover the kernel would kill the new generation with it. " + FIX;
		}
		return null;
	}

	/**
	 * Whether PID 1 started this process (its command line carries this one's arguments),
	 * rather than adopted it as an orphan, which it would not wait for.
	 */
	private static boolean startedBy(String initCommand, String ownCommand) {
		if (initCommand == null || ownCommand == null) {
			return false;
		}
		String[] own = ownCommand.split("\0");
		String arguments = (own.length > 1) ? String.join(" ", java.util.Arrays.asList(own).subList(1, own.length))
				: Path.of(own[0]).getFileName().toString();
		return initCommand.replace('\0', ' ').contains(arguments);
	}

	private static String read(String file) {
		try {
			return Files.readString(Path.of(file), java.nio.charset.StandardCharsets.ISO_8859_1).trim();
		}
		catch (IOException | RuntimeException ex) {
			return null;
		}
	}

}
