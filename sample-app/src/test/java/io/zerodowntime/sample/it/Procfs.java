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
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The one reader of {@code /proc} for the integration tests: processes and the socket
 * tables. The only write is {@link #signal}, to one pid; nothing is looked up by name.
 */
final class Procfs {

	private static final String TCP_LISTEN = "0A";

	private static final String TCP_ESTABLISHED = "01";

	private Procfs() {
	}

	/** One process: pid, parent, state, name, command line (empty for a zombie). */
	record Proc(long pid, long ppid, char state, String comm, List<String> argv) {

		boolean zombie() {
			return this.state == 'Z' || this.state == 'X';
		}

		/** Whether it runs a {@code java} launcher with this jar on its command line. */
		boolean isJavaRunning(Path jar) {
			return !zombie() && !this.argv.isEmpty()
					&& (this.argv.get(0).equals("java") || this.argv.get(0).endsWith("/java")) && mentions(jar);
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

	/** Return every process that can be read now, but this JVM. */
	static List<Proc> all() {
		long self = ProcessHandle.current().pid();
		try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
			return entries.map((entry) -> entry.getFileName().toString())
				.filter((name) -> name.chars().allMatch(Character::isDigit) && Long.parseLong(name) != self)
				.flatMap((name) -> of(Long.parseLong(name)).stream())
				.toList();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	static Optional<Proc> of(long pid) {
		try {
			String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.UTF_8);
			int close = stat.lastIndexOf(')');
			String[] rest = stat.substring(close + 2).split(" ");
			return Optional.of(new Proc(pid, Long.parseLong(rest[1]), rest[0].charAt(0),
					stat.substring(stat.indexOf('(') + 1, close), strings(pid, "cmdline")));
		}
		catch (IOException | RuntimeException ex) {
			return Optional.empty();
		}
	}

	/** Return the live generations (see {@link #generations}). */
	static List<Long> javaPids(Path jar) {
		return generations(all().stream().collect(Collectors.toMap(Proc::pid, (p) -> p)), jar);
	}

	/**
	 * Return the {@code java} processes running a copy of the jar, by pid: the
	 * generations. A process the JVM is spawning shows the JVM's own command line until
	 * it execs, so a process whose parent runs the jar too is not one (a generation is
	 * never the child of another: the spawn is a double fork).
	 */
	static List<Long> generations(Map<Long, Proc> procs, Path jar) {
		return procs.values()
			.stream()
			.filter((p) -> p.isJavaRunning(jar)
					&& !(procs.containsKey(p.ppid()) && procs.get(p.ppid()).isJavaRunning(jar)))
			.map(Proc::pid)
			.sorted()
			.toList();
	}

	/**
	 * Whether a process runs: not a zombie ({@link ProcessHandle} calls one alive),
	 * unless its other threads are still exiting (during SIGKILL).
	 */
	static boolean running(long pid) {
		Optional<Proc> proc = of(pid);
		if (proc.isEmpty() || !proc.get().zombie()) {
			return proc.isPresent();
		}
		try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
			return tasks.count() > 1;
		}
		catch (IOException ex) {
			return false;
		}
	}

	/** Wait until a process is gone (see {@link #running(long)}). */
	static void awaitGone(long pid, Duration timeout) {
		AppUnderTest.await("pid " + pid + " to exit", timeout, () -> !running(pid),
				() -> "pid " + pid + " still runs after " + timeout + ": " + of(pid).orElse(null));
	}

	/** Open fds by number, and their targets ({@code socket:[1234]}, a path, ...). */
	static Map<Integer, String> fds(long pid) {
		Map<Integer, String> fds = new TreeMap<>();
		Path dir = Path.of("/proc", Long.toString(pid), "fd");
		try (Stream<Path> entries = Files.list(dir)) {
			for (Path entry : (Iterable<Path>) entries::iterator) {
				try {
					fds.put(Integer.parseInt(entry.getFileName().toString()), Files.readSymbolicLink(entry).toString());
				}
				catch (NoSuchFileException ex) {
					// closed while listing
				}
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Unable to list " + dir, ex);
		}
		return fds;
	}

	static Set<Long> socketInodes(long pid) {
		return fds(pid).values()
			.stream()
			.filter((target) -> target.startsWith("socket:["))
			.map((target) -> Long.parseLong(target.substring(8, target.length() - 1)))
			.collect(Collectors.toCollection(LinkedHashSet::new));
	}

	static Map<String, String> environ(long pid) {
		Map<String, String> environment = new LinkedHashMap<>();
		for (String entry : strings(pid, "environ")) {
			int equals = entry.indexOf('=');
			if (!entry.isEmpty()) {
				environment.putIfAbsent((equals < 0) ? entry : entry.substring(0, equals),
						(equals < 0) ? "" : entry.substring(equals + 1));
			}
		}
		return environment;
	}

	/** Return the executable a process runs ({@code /proc/<pid>/exe}). */
	static Optional<Path> exe(long pid) {
		try {
			return Optional.of(Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "exe")));
		}
		catch (IOException ex) {
			return Optional.empty();
		}
	}

	/** A field of {@code /proc/<pid>/status}: {@code Threads}, {@code VmRSS} (kB)... */
	static String status(long pid, String field) {
		for (String line : AppUnderTest.io(() -> Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")))) {
			if (line.startsWith(field + ":")) {
				return line.substring(field.length() + 1).trim().split("\\s+")[0];
			}
		}
		throw new IllegalStateException("No " + field + " in /proc/" + pid + "/status");
	}

	/**
	 * The inodes (as in {@code socket:[inode]}) of every TCP socket listening on a port
	 * (0: on any), IPv4 and IPv6.
	 */
	static List<Long> listeners(int port) {
		return tcp().stream()
			.filter((s) -> (port == 0 || s.localPort() == port) && TCP_LISTEN.equals(s.state()))
			.map(TcpSocket::inode)
			.toList();
	}

	/** Return the inodes of every Unix-domain socket. */
	static List<Long> unixSockets() {
		return table("/proc/net/unix").stream().filter((f) -> f.length > 6).map((f) -> Long.parseLong(f[6])).toList();
	}

	/**
	 * The inodes of the server's side of every connection to a port, by client port; 0
	 * for a connection still in the accept queue.
	 */
	static Map<Integer, Long> serverSideInodes(int serverPort) {
		return tcp().stream()
			.filter((s) -> s.localPort() == serverPort && TCP_ESTABLISHED.equals(s.state()))
			.collect(Collectors.toMap(TcpSocket::remotePort, TcpSocket::inode, (first, last) -> last,
					LinkedHashMap::new));
	}

	private record TcpSocket(int localPort, int remotePort, String state, long inode) {

	}

	// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
	private static List<TcpSocket> tcp() {
		return Stream.of("/proc/net/tcp", "/proc/net/tcp6")
			.flatMap((table) -> table(table).stream())
			.filter((fields) -> fields.length > 9)
			.map((fields) -> new TcpSocket(port(fields[1]), port(fields[2]), fields[3], Long.parseLong(fields[9])))
			.toList();
	}

	private static int port(String address) {
		return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1), 16);
	}

	private static List<String[]> table(String path) {
		try {
			List<String> lines = Files.readAllLines(Path.of(path));
			return lines.subList(Math.min(1, lines.size()), lines.size())
				.stream()
				.map((line) -> line.trim().split("\\s+"))
				.toList();
		}
		catch (NoSuchFileException ex) {
			return List.of();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/** Send a signal to one process, with {@code kill}. */
	static void signal(long pid, String signal) {
		AppUnderTest.run("kill", "-s", signal, Long.toString(pid));
	}

	/** The NUL-separated entries of {@code /proc/<pid>/<file>}, empty ones included. */
	static List<byte[]> entries(long pid, String file) {
		byte[] bytes;
		try {
			bytes = Files.readAllBytes(Path.of("/proc", Long.toString(pid), file));
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Unable to read /proc/" + pid + "/" + file, ex);
		}
		List<byte[]> entries = new ArrayList<>();
		int start = 0;
		for (int i = 0; i <= bytes.length; i++) {
			if ((i == bytes.length && i > start) || (i < bytes.length && bytes[i] == 0)) {
				entries.add(Arrays.copyOfRange(bytes, start, i));
				start = i + 1;
			}
		}
		return entries;
	}

	private static List<String> strings(long pid, String file) {
		return entries(pid, file).stream().map((entry) -> new String(entry, StandardCharsets.UTF_8)).toList();
	}

}
