package io.zerodowntime;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * An operating system of fakes for the core's unit tests: a descriptor table whose reads
 * are scripted, sockets whose kind and peer are declared, a process table whose processes
 * obey (or ignore) signals, and an environment that records what was scrubbed.
 */
final class FakeOs {

	final FdTable fds = new FdTable();

	final SocketTable sockets = new SocketTable(this.fds);

	final ProcessTable processes;

	final Environment environment = new Environment();

	FakeOs(int pid) {
		this.processes = new ProcessTable(pid);
	}

	Os os() {
		return new Os(this.fds, this.sockets, this.processes, this.environment);
	}

	/**
	 * One open descriptor: its flag, what a read returns next, what was written to it.
	 */
	static final class Fd {

		volatile boolean closeOnExec;

		volatile IOException writeFailure;

		final BlockingQueue<byte[]> incoming = new LinkedBlockingQueue<>();

		final List<byte[]> written = new CopyOnWriteArrayList<>();

		/** Let the next read return these bytes. */
		Fd send(String text) {
			this.incoming.add(text.getBytes(StandardCharsets.UTF_8));
			return this;
		}

		/** Let a read return end of stream, as when the other end is closed. */
		Fd endOfStream() {
			this.incoming.add(new byte[0]);
			return this;
		}

		String writtenText() {
			StringBuilder text = new StringBuilder();
			for (byte[] bytes : this.written) {
				text.append(new String(bytes, StandardCharsets.UTF_8));
			}
			return text.toString();
		}

	}

	/**
	 * {@link Fds} over a table of {@link Fd}s; a read blocks until its bytes are
	 * scripted.
	 */
	static final class FdTable implements Fds {

		private final Map<Integer, Fd> open = new ConcurrentHashMap<>();

		final List<Integer> closed = new CopyOnWriteArrayList<>();

		/** Open {@code fd}, not close-on-exec, as a passed descriptor is. */
		Fd open(int fd) {
			Fd created = new Fd();
			this.open.put(fd, created);
			return created;
		}

		Fd get(int fd) {
			return this.open.get(fd);
		}

		private Fd require(int fd, String action) throws NativeException {
			Fd found = this.open.get(fd);
			if (found == null) {
				throw new NativeException(action + " fd " + fd, "Bad file descriptor", 9);
			}
			return found;
		}

		@Override
		public boolean isOpen(int fd) {
			return this.open.containsKey(fd);
		}

		@Override
		public boolean isCloseOnExec(int fd) throws NativeException {
			return require(fd, "read the descriptor flags of").closeOnExec;
		}

		@Override
		public void setCloseOnExec(int fd, boolean on) throws NativeException {
			require(fd, "set close-on-exec on").closeOnExec = on;
		}

		@Override
		public int dup(int fd) throws NativeException {
			require(fd, "duplicate");
			int copy = 3;
			while (this.open.containsKey(copy)) {
				copy++;
			}
			open(copy).closeOnExec = true;
			return copy;
		}

		@Override
		public void dup2(int from, int to) throws NativeException {
			this.open.put(to, require(from, "duplicate"));
		}

		@Override
		public void close(int fd) throws NativeException {
			Fd removed = this.open.remove(fd);
			if (removed == null) {
				throw new NativeException("close fd " + fd, "Bad file descriptor", 9);
			}
			this.closed.add(fd);
			// a reader blocked on it sees the end of the stream
			removed.endOfStream();
		}

		@Override
		public int read(int fd, byte[] buf, int off, int len) throws NativeException {
			Fd from = require(fd, "read from");
			byte[] next;
			try {
				next = from.incoming.take();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new NativeException("read from fd " + fd, "Interrupted system call", 4);
			}
			if (next.length == 0) {
				from.incoming.add(next);
				return 0;
			}
			int count = Math.min(len, next.length);
			System.arraycopy(next, 0, buf, off, count);
			if (count < next.length) {
				byte[] rest = new byte[next.length - count];
				System.arraycopy(next, count, rest, 0, rest.length);
				List<byte[]> after = new ArrayList<>();
				from.incoming.drainTo(after);
				from.incoming.add(rest);
				from.incoming.addAll(after);
			}
			return count;
		}

		@Override
		public void writeFully(int fd, byte[] data) throws NativeException {
			Fd to = require(fd, "write to");
			if (to.writeFailure != null) {
				throw new NativeException("write to fd " + fd, to.writeFailure.getMessage(), 32);
			}
			to.written.add(data.clone());
		}

		@Override
		public int[] openFds() {
			return new TreeMap<>(this.open).keySet().stream().mapToInt(Integer::intValue).toArray();
		}

	}

	/** {@link Sockets} that knows what each descriptor of an {@link FdTable} is. */
	static final class SocketTable implements Sockets {

		private final FdTable fds;

		final Map<Integer, SocketInfo> listeners = new HashMap<>();

		final Set<Integer> unixSockets = new HashSet<>();

		final Map<Integer, Integer> peers = new HashMap<>();

		SocketTable(FdTable fds) {
			this.fds = fds;
		}

		/** Open {@code fd} as a listening TCP socket on 127.0.0.1:{@code port}. */
		Fd listener(int fd, int port) {
			this.listeners.put(fd, new SocketInfo(fd, false, new InetSocketAddress("127.0.0.1", port)));
			return this.fds.open(fd);
		}

		/**
		 * The descriptors {@link #socketPair()} returns (opened unless a test opened them
		 * to script reads), or none.
		 */
		volatile int[] nextPair;

		/**
		 * Open {@code fd} as a Unix-domain stream socket connected to {@code peerPid}.
		 */
		Fd unixSocket(int fd, int peerPid) {
			this.unixSockets.add(fd);
			this.peers.put(fd, peerPid);
			return this.fds.open(fd);
		}

		@Override
		public SocketInfo inspectListener(int fd) throws NotAListenerException {
			if (!this.fds.isOpen(fd)) {
				throw new NotAListenerException(fd, "fd " + fd + " is not open");
			}
			SocketInfo info = this.listeners.get(fd);
			if (info == null) {
				throw new NotAListenerException(fd, "fd " + fd + " is a regular file, not a socket");
			}
			return info;
		}

		@Override
		public int findListeningSocketFd(InetSocketAddress local) {
			return this.listeners.values()
				.stream()
				.filter((info) -> info.localAddress().equals(local))
				.mapToInt(SocketInfo::fd)
				.min()
				.orElse(-1);
		}

		@Override
		public int[] socketPair() {
			int[] pair = this.nextPair;
			if (pair == null) {
				throw new UnsupportedOperationException("no socket pairs in this fake");
			}
			for (int fd : pair) {
				if (!this.fds.isOpen(fd)) {
					this.fds.open(fd);
				}
			}
			return pair.clone();
		}

		@Override
		public int peerPid(int fd) throws NativeException {
			Integer peer = this.peers.get(fd);
			if (peer == null) {
				throw new NativeException("read the peer credentials (SO_PEERCRED) of fd " + fd,
						"Transport endpoint is not connected", 107);
			}
			return peer;
		}

		@Override
		public boolean isUnixSocket(int fd) throws NativeException {
			if (!this.fds.isOpen(fd)) {
				throw new NativeException("fstat fd " + fd, "Bad file descriptor", 9);
			}
			return this.unixSockets.contains(fd);
		}

		@Override
		public int sendDatagram(String address, byte[] message, Duration timeout) {
			throw new UnsupportedOperationException("no datagrams in this fake");
		}

		@Override
		public int sendDatagram(String address, byte[] message, int[] fds, Duration timeout) {
			throw new UnsupportedOperationException("no datagrams in this fake");
		}

		@Override
		public void prepareDatagram(String address) {
			throw new UnsupportedOperationException("no datagrams in this fake");
		}

		@Override
		public UnixServer listenUnix(Path path, int backlog) {
			throw new UnsupportedOperationException("no control socket in this fake");
		}

		@Override
		public int answeringPid(Path path) {
			throw new UnsupportedOperationException("no control socket in this fake");
		}

	}

	/**
	 * {@link Processes} over a table of running processes (pid to start time); each one
	 * exits on the signals it obeys, and every signal sent is recorded.
	 */
	static final class ProcessTable implements Processes {

		private final int pid;

		private final Map<Long, String> running = new ConcurrentHashMap<>();

		private final Map<Long, Set<Integer>> obeyed = new ConcurrentHashMap<>();

		final List<String> signals = new CopyOnWriteArrayList<>();

		/** What every spawn throws, or none (then spawning is not supported). */
		volatile NativeException spawnFailure;

		ProcessTable(int pid) {
			this.pid = pid;
		}

		/** A process that exits on SIGTERM and SIGKILL. */
		void run(long pid, String startTime) {
			run(pid, startTime, Set.of(SIGTERM, SIGKILL));
		}

		void run(long pid, String startTime, Set<Integer> exitsOn) {
			this.running.put(pid, startTime);
			this.obeyed.put(pid, exitsOn);
		}

		void exit(long pid) {
			this.running.remove(pid);
		}

		@Override
		public int pid() {
			return this.pid;
		}

		@Override
		public int spawn(List<String> argv, List<String> env, String workingDirectory, int[] passFds)
				throws NativeException {
			if (this.spawnFailure != null) {
				throw this.spawnFailure;
			}
			throw new UnsupportedOperationException("no spawning in this fake");
		}

		@Override
		public ExitStatus waitpid(int pid, boolean noHang) {
			throw new UnsupportedOperationException("no children in this fake");
		}

		@Override
		public void kill(int pid, int signal) throws NativeException {
			if (!this.running.containsKey((long) pid)) {
				throw new NativeException("send signal " + signal + " to process " + pid, "No such process", 3);
			}
			this.signals.add("kill " + pid + " " + ExitStatus.signalName(signal));
			if (this.obeyed.getOrDefault((long) pid, Set.of()).contains(signal)) {
				this.running.remove((long) pid);
			}
		}

		@Override
		public boolean isAlive(int pid) {
			return this.running.containsKey((long) pid);
		}

		@Override
		public String identity(long pid) {
			return this.running.get(pid);
		}

		@Override
		public void setThreadNice(int tid, int nice) {
			throw new UnsupportedOperationException("no threads in this fake");
		}

	}

	/** {@link ProcessEnvironment} that records what was scrubbed. */
	static final class Environment implements ProcessEnvironment {

		final List<Set<String>> scrubbed = new CopyOnWriteArrayList<>();

		@Override
		public String getenv(String name) {
			return null;
		}

		@Override
		public void scrub(Set<String> names) {
			this.scrubbed.add(names);
		}

	}

}
