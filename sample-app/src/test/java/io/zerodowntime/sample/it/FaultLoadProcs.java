package io.zerodowntime.sample.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Processes as the kernel shows them in {@code /proc}, read only: which ones run a given
 * copy of the jar, which are zombies, and what a process holds (descriptors, threads,
 * resident memory). Signals go to one pid at a time, through {@code kill}; nothing is
 * ever looked up or signalled by name.
 */
final class FaultLoadProcs {

	private FaultLoadProcs() {
	}

	/**
	 * One process.
	 *
	 * @param pid its pid
	 * @param ppid its parent's pid
	 * @param state its state letter ({@code R}, {@code S}, {@code Z}, ...)
	 * @param comm its command name
	 * @param argv its command line (empty for a zombie)
	 */
	record Proc(long pid, long ppid, char state, String comm, List<String> argv) {

		boolean zombie() {
			return this.state == 'Z' || this.state == 'X';
		}

		/** Whether it runs a {@code java} launcher with this jar on its command line. */
		boolean isJavaRunning(Path jar) {
			return !zombie() && !this.argv.isEmpty() && isJavaLauncher(this.argv.get(0)) && mentions(jar);
		}

		boolean mentions(Path jar) {
			String path = jar.toString();
			return this.argv.stream().anyMatch((arg) -> arg.contains(path));
		}

		@Override
		public String toString() {
			return "pid " + this.pid + " (ppid " + this.ppid + ", state " + this.state + ", comm " + this.comm + ") "
					+ String.join(" ", this.argv);
		}

	}

	private static boolean isJavaLauncher(String argv0) {
		return argv0.equals("java") || argv0.endsWith("/java");
	}

	/**
	 * Return every process that can be read now.
	 * @return the processes
	 */
	static List<Proc> all() {
		List<Proc> processes = new ArrayList<>();
		try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
			for (Path entry : (Iterable<Path>) entries::iterator) {
				String name = entry.getFileName().toString();
				if (!name.chars().allMatch(Character::isDigit)) {
					continue;
				}
				of(Long.parseLong(name)).ifPresent(processes::add);
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		return processes;
	}

	/**
	 * Return one process, if it exists.
	 * @param pid the pid
	 * @return the process
	 */
	static Optional<Proc> of(long pid) {
		try {
			String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.UTF_8);
			int open = stat.indexOf('(');
			int close = stat.lastIndexOf(')');
			String comm = stat.substring(open + 1, close);
			String[] rest = stat.substring(close + 2).split(" ");
			char state = rest[0].charAt(0);
			long ppid = Long.parseLong(rest[1]);
			return Optional.of(new Proc(pid, ppid, state, comm, argv(pid)));
		}
		catch (IOException | RuntimeException ex) {
			return Optional.empty();
		}
	}

	private static List<String> argv(long pid) throws IOException {
		byte[] bytes = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
		List<String> argv = new ArrayList<>();
		int start = 0;
		for (int i = 0; i < bytes.length; i++) {
			if (bytes[i] == 0) {
				argv.add(new String(bytes, start, i - start, StandardCharsets.UTF_8));
				start = i + 1;
			}
		}
		if (start < bytes.length) {
			argv.add(new String(bytes, start, bytes.length - start, StandardCharsets.UTF_8));
		}
		return argv;
	}

	/**
	 * Return the live {@code java} processes running a copy of the jar: the generations.
	 * A process the JVM is spawning shows the JVM's own command line until it execs, so a
	 * process whose parent runs the jar too is not one (a generation is never the child
	 * of another: the spawn is a double fork).
	 * @param jar the jar (a path unique to the test)
	 * @return their pids
	 */
	static List<Long> javaPids(Path jar) {
		Map<Long, Proc> all = new HashMap<>();
		all().forEach((p) -> all.put(p.pid(), p));
		return all.values()
			.stream()
			.filter((p) -> isGeneration(p, all.get(p.ppid()), jar))
			.map(Proc::pid)
			.sorted()
			.toList();
	}

	/**
	 * Return whether a process is a generation: a {@code java} process running the jar
	 * whose parent does not run it.
	 * @param proc the process
	 * @param parent its parent, or {@code null} if unknown
	 * @param jar the jar
	 * @return whether it is a generation
	 */
	static boolean isGeneration(Proc proc, Proc parent, Path jar) {
		return proc.isJavaRunning(jar) && (parent == null || !parent.isJavaRunning(jar));
	}

	/**
	 * Return whether a process exists and is not a zombie.
	 * @param pid the pid
	 * @return whether it runs
	 */
	static boolean alive(long pid) {
		return of(pid).map((p) -> !p.zombie()).orElse(false);
	}

	/**
	 * Return the number of open descriptors of a process.
	 * @param pid the pid
	 * @return the count
	 */
	static int fdCount(long pid) {
		return AppProcess.fds(pid).size();
	}

	/** What a socket is, from the kernel's tables. */
	enum SocketKind {

		/** A listening TCP socket. */
		TCP_LISTENER,

		/** Any other TCP socket: a connection. */
		TCP_CONNECTION,

		/** A Unix-domain socket (such as the handshake between generations). */
		UNIX,

		/** Anything else (netlink, ...). */
		OTHER

	}

	/**
	 * Count a process's sockets by kind, from {@code /proc/net/tcp}, {@code tcp6} and
	 * {@code unix} (in this network namespace).
	 * @param pid the process
	 * @return the counts
	 */
	static Map<SocketKind, Integer> sockets(long pid) {
		Map<Long, SocketKind> kinds = new HashMap<>();
		for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
			for (String[] fields : table(table)) {
				if (fields.length > 9) {
					kinds.put(Long.parseLong(fields[9]),
							"0A".equals(fields[3]) ? SocketKind.TCP_LISTENER : SocketKind.TCP_CONNECTION);
				}
			}
		}
		for (String[] fields : table("/proc/net/unix")) {
			if (fields.length > 6) {
				kinds.put(Long.parseLong(fields[6]), SocketKind.UNIX);
			}
		}
		Map<SocketKind, Integer> counts = new java.util.EnumMap<>(SocketKind.class);
		for (SocketKind kind : SocketKind.values()) {
			counts.put(kind, 0);
		}
		for (String target : AppProcess.fds(pid).values()) {
			if (target.startsWith("socket:[")) {
				long inode = Long.parseLong(target.substring(8, target.length() - 1));
				counts.merge(kinds.getOrDefault(inode, SocketKind.OTHER), 1, Integer::sum);
			}
		}
		return counts;
	}

	private static List<String[]> table(String path) {
		try {
			List<String> lines = Files.readAllLines(Path.of(path));
			return lines.subList(Math.min(1, lines.size()), lines.size())
				.stream()
				.map((line) -> line.trim().split("\\s+"))
				.toList();
		}
		catch (IOException ex) {
			return List.of();
		}
	}

	/**
	 * Return a numeric field of {@code /proc/<pid>/status}, e.g. {@code Threads} or
	 * {@code VmRSS} (in kB).
	 * @param pid the pid
	 * @param field the field name
	 * @return its value
	 */
	static long status(long pid, String field) {
		try {
			for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
				if (line.startsWith(field + ":")) {
					return Long.parseLong(line.substring(field.length() + 1).trim().split("\\s+")[0]);
				}
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		throw new IllegalStateException("No " + field + " in /proc/" + pid + "/status");
	}

	/**
	 * Send a signal to one process, with {@code kill}.
	 * @param pid the pid
	 * @param signal the signal name without {@code SIG}, e.g. {@code HUP}
	 */
	static void signal(long pid, String signal) {
		run("kill", "-s", signal, Long.toString(pid));
	}

	/**
	 * Run a short command and wait for it, failing if it fails.
	 * @param command the command
	 * @return its output
	 */
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
			throw new UncheckedIOException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

}
