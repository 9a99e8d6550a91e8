package io.zerodowntime;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.lang.ref.Reference;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;

import jnr.constants.platform.Errno;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.byref.IntByReference;

/**
 * Typed access to the handful of Linux system calls the upgrader needs. Every call's return code is checked where it
 * is made; failures become {@link NativeException}s whose errno was read on the calling thread right after the call.
 * <p>
 * Only Linux on x86_64 with glibc is supported: the sizes of {@code struct stat}, {@code posix_spawnattr_t},
 * {@code posix_spawn_file_actions_t} and {@code sigset_t} used here were verified for that platform only, and
 * {@link #get()} refuses to run anywhere else rather than risk corrupting memory.
 */
final class NativePosix {

	/** Hang-up: the upgrade trigger. */
	static final int SIGHUP = 1;

	/** Kill, cannot be caught. */
	static final int SIGKILL = 9;

	/** Polite termination request. */
	static final int SIGTERM = 15;

	// errno values (Linux, all architectures this could ever run on share them)
	private static final int EPERM = 1;

	private static final int ESRCH = 3;

	private static final int EINTR = 4;

	private static final int EBADF = 9;

	private static final int ENOSYS = 38;

	private static final int ENOTSOCK = 88;

	private static final int F_GETFD = 1;

	private static final int F_SETFD = 2;

	private static final int FD_CLOEXEC = 1;

	private static final int F_DUPFD_CLOEXEC = 1030;

	private static final int SOL_SOCKET = 1;

	private static final int SO_TYPE = 3;

	private static final int SO_PEERCRED = 17;

	private static final int SO_ACCEPTCONN = 30;

	private static final int SO_PROTOCOL = 38;

	private static final int SO_DOMAIN = 39;

	private static final int AF_UNIX = 1;

	private static final int AF_INET = 2;

	private static final int AF_INET6 = 10;

	private static final int SOCK_STREAM = 1;

	private static final int SOCK_DGRAM = 2;

	private static final int SOCK_RAW = 3;

	private static final int SOCK_SEQPACKET = 5;

	private static final int SOCK_CLOEXEC = 02000000;

	private static final int IPPROTO_TCP = 6;

	private static final int IPPROTO_SCTP = 132;

	private static final int IPPROTO_MPTCP = 262;

	private static final int MSG_NOSIGNAL = 0x4000;

	private static final int WNOHANG = 1;

	private static final int S_IFMT = 0170000;

	private static final int S_IFSOCK = 0140000;

	private static final int S_IFLNK = 0120000;

	private static final int S_IFREG = 0100000;

	private static final int S_IFBLK = 0060000;

	private static final int S_IFDIR = 0040000;

	private static final int S_IFCHR = 0020000;

	private static final int S_IFIFO = 0010000;

	private static final short POSIX_SPAWN_SETSIGDEF = 0x04;

	private static final short POSIX_SPAWN_SETSIGMASK = 0x08;

	// x86_64 glibc layouts (measured, see internals.md §2); other architectures are refused in get()
	private static final int STAT_SIZE = 144;

	private static final int STAT_MODE_OFFSET = 24;

	private static final int SPAWN_FILE_ACTIONS_SIZE = 80;

	private static final int SPAWN_ATTRIBUTES_SIZE = 336;

	private static final int SIGSET_SIZE = 128;

	private static final int SOCKADDR_STORAGE_SIZE = 128;

	private static final int UCRED_SIZE = 12;

	/** First temporary fd of the two-phase dup2; far above what a JVM normally has open. */
	private static final int TEMPORARY_FD_BASE = 900;

	private static final int MAX_READ_CHUNK = 1 << 20;

	private static final Path PROC_SELF_FD = Path.of("/proc/self/fd");

	private final NativeLibC libc;

	private final Runtime runtime;

	private final Charset charset;

	private NativePosix(NativeLibC libc) {
		this.libc = libc;
		this.runtime = Runtime.getRuntime(libc);
		if (this.runtime.addressSize() != 8) {
			throw new UnsupportedOperationException("Native process support needs a 64-bit JVM; this one uses "
					+ (this.runtime.addressSize() * 8) + "-bit addresses");
		}
		this.charset = ByteStrings.platformCharset();
	}

	/**
	 * The process-wide instance; loads libc on first use.
	 * @throws UnsupportedOperationException if {@link Platform} says this platform is not
	 * supported
	 */
	static NativePosix get() {
		String problem = Platform.current().unsupportedReason();
		if (problem != null) {
			throw new UnsupportedOperationException("Native process support is not available: " + problem);
		}
		return Holder.INSTANCE;
	}

	/** This process's id. */
	int pid() {
		return this.libc.getpid();
	}

	/** Whether {@code fd} is an open file descriptor of this process. */
	boolean isOpen(int fd) {
		if (fd < 0) {
			return false;
		}
		if (this.libc.fcntl(fd, F_GETFD, 0) != -1) {
			return true;
		}
		int errno = errno();
		if (errno == EBADF) {
			return false;
		}
		throw new UncheckedIOException(failure("read the descriptor flags of fd " + fd, errno));
	}

	/** Whether FD_CLOEXEC is set on {@code fd}. */
	boolean isCloseOnExec(int fd) throws NativeException {
		int flags = this.libc.fcntl(fd, F_GETFD, 0);
		if (flags == -1) {
			throw failure("read the descriptor flags of fd " + fd);
		}
		return (flags & FD_CLOEXEC) != 0;
	}

	/** Whether {@code fd} is a Unix-domain socket. */
	boolean isUnixSocket(int fd) throws NativeException {
		return fileType(fd) == S_IFSOCK && intSocketOption(fd, SO_DOMAIN, "SO_DOMAIN") == AF_UNIX;
	}

	/** Sets or clears FD_CLOEXEC on {@code fd}. */
	void setCloseOnExec(int fd, boolean on) throws NativeException {
		int flags = this.libc.fcntl(fd, F_GETFD, 0);
		if (flags == -1) {
			throw failure("read the descriptor flags of fd " + fd);
		}
		int wanted = on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC);
		if (wanted != flags && this.libc.fcntl(fd, F_SETFD, wanted) == -1) {
			throw failure((on ? "set" : "clear") + " close-on-exec on fd " + fd);
		}
	}

	/** Makes {@code to} refer to the same open file as {@code from} (closing {@code to} first); the copy is not CLOEXEC. */
	void dup2(int from, int to) throws NativeException {
		while (this.libc.dup2(from, to) == -1) {
			int errno = errno();
			if (errno != EINTR) {
				throw failure("duplicate fd " + from + " onto fd " + to, errno);
			}
		}
	}

	/** Closes {@code fd}; EINTR counts as closed (Linux always releases the fd). */
	void close(int fd) throws NativeException {
		if (this.libc.close(fd) == -1) {
			int errno = errno();
			if (errno != EINTR) {
				throw failure("close fd " + fd, errno);
			}
		}
	}

	/** Duplicates {@code fd} onto the lowest free fd &gt;= 3, with FD_CLOEXEC set; returns the new fd. */
	int dup(int fd) throws NativeException {
		int copy = this.libc.fcntl(fd, F_DUPFD_CLOEXEC, 3);
		if (copy == -1) {
			throw failure("duplicate fd " + fd);
		}
		return copy;
	}

	/**
	 * Checks that {@code fd} is a listening TCP socket (IPv4 or IPv6) and returns its local address.
	 * @throws NotAListenerException naming what {@code fd} is instead
	 * @throws NativeException if a system call fails
	 */
	SocketInfo inspectListener(int fd) throws NativeException, NotAListenerException {
		if (!isOpen(fd)) {
			throw new NotAListenerException(fd, "fd " + fd + " is not open");
		}
		int fileType = fileType(fd);
		if (fileType != S_IFSOCK) {
			throw new NotAListenerException(fd, "fd " + fd + " is " + describeFileType(fd, fileType) + ", not a socket");
		}
		int domain = intSocketOption(fd, SO_DOMAIN, "SO_DOMAIN");
		if (domain == AF_UNIX) {
			throw new NotAListenerException(fd,
					"fd " + fd + " is a Unix-domain socket; only TCP (IPv4/IPv6) listeners are supported");
		}
		if (domain != AF_INET && domain != AF_INET6) {
			throw new NotAListenerException(fd, "fd " + fd + " is a socket of address family " + domain
					+ "; only TCP (IPv4/IPv6) listeners are supported");
		}
		int type = intSocketOption(fd, SO_TYPE, "SO_TYPE");
		if (type == SOCK_DGRAM) {
			throw new NotAListenerException(fd, "fd " + fd + " is a UDP (datagram) socket, not a stream socket");
		}
		if (type != SOCK_STREAM) {
			String kind = (type == SOCK_RAW) ? "a raw" : (type == SOCK_SEQPACKET) ? "a seqpacket" : "a type " + type;
			throw new NotAListenerException(fd, "fd " + fd + " is " + kind + " socket, not a stream socket");
		}
		int protocol = intSocketOption(fd, SO_PROTOCOL, "SO_PROTOCOL");
		if (protocol != IPPROTO_TCP && protocol != IPPROTO_MPTCP) {
			String kind = (protocol == IPPROTO_SCTP) ? "an SCTP" : "a protocol " + protocol;
			throw new NotAListenerException(fd, "fd " + fd + " is " + kind + " stream socket, not a TCP socket");
		}
		if (intSocketOption(fd, SO_ACCEPTCONN, "SO_ACCEPTCONN") == 0) {
			throw new NotAListenerException(fd,
					"fd " + fd + " is a stream socket that is not listening (a connected socket?)");
		}
		return new SocketInfo(fd, domain == AF_INET6, localAddress(fd));
	}

	/**
	 * The lowest fd of this process that is a listening TCP socket bound to {@code local}, or -1. Addresses compare
	 * equal across the IPv4 and v4-mapped IPv6 forms, and any wildcard address ({@code 0.0.0.0}, {@code ::}) matches
	 * any other.
	 */
	int findListeningSocketFd(InetSocketAddress local) throws NativeException {
		Objects.requireNonNull(local, "local");
		if (local.isUnresolved()) {
			throw new IllegalArgumentException("Address " + local + " is unresolved");
		}
		for (int fd : openFds()) {
			String target;
			try {
				target = Files.readSymbolicLink(PROC_SELF_FD.resolve(Integer.toString(fd))).toString();
			}
			catch (IOException ex) {
				continue; // closed since the listing
			}
			if (!target.startsWith("socket:")) {
				continue;
			}
			try {
				int domain = intSocketOption(fd, SO_DOMAIN, "SO_DOMAIN");
				if ((domain != AF_INET && domain != AF_INET6)
						|| intSocketOption(fd, SO_TYPE, "SO_TYPE") != SOCK_STREAM
						|| intSocketOption(fd, SO_ACCEPTCONN, "SO_ACCEPTCONN") == 0) {
					continue;
				}
				InetSocketAddress address = localAddress(fd);
				if (address != null && address.getPort() == local.getPort()
						&& sameAddress(address.getAddress(), local.getAddress())) {
					return fd;
				}
			}
			catch (NativeException ex) {
				// closed or replaced since the listing: not ours
			}
		}
		return -1;
	}

	/** A connected AF_UNIX stream socket pair, both ends with FD_CLOEXEC set. */
	int[] socketPair() throws NativeException {
		int[] fds = new int[2];
		if (this.libc.socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == -1) {
			throw failure("create a Unix-domain socket pair");
		}
		return fds;
	}

	/** The pid of the process at the other end of the Unix-domain socket {@code fd} (SO_PEERCRED, as of connect). */
	int peerPid(int fd) throws NativeException {
		Pointer credentials = Memory.allocateDirect(this.runtime, UCRED_SIZE, true);
		IntByReference length = new IntByReference(UCRED_SIZE);
		if (this.libc.getsockopt(fd, SOL_SOCKET, SO_PEERCRED, credentials, length) == -1) {
			throw failure("read the peer credentials (SO_PEERCRED) of fd " + fd);
		}
		return credentials.getInt(0);
	}

	/** Blocking read of up to {@code len} bytes into {@code buf[off..]}; returns the count, 0 at end of stream. */
	int read(int fd, byte[] buf, int off, int len) throws NativeException {
		Objects.checkFromIndexSize(off, len, buf.length);
		if (len == 0) {
			return 0;
		}
		int chunk = Math.min(len, MAX_READ_CHUNK);
		Pointer buffer = Memory.allocateDirect(this.runtime, chunk, false);
		while (true) {
			long count = this.libc.read(fd, buffer, chunk);
			if (count >= 0) {
				buffer.get(0, buf, off, (int) count);
				return (int) count;
			}
			int errno = errno();
			if (errno != EINTR) {
				throw failure("read from fd " + fd, errno);
			}
		}
	}

	/**
	 * Blocking write of all of {@code data}. Sockets are written with MSG_NOSIGNAL so a vanished peer gives EPIPE
	 * (errno 32) rather than SIGPIPE; other fds rely on the JVM ignoring SIGPIPE.
	 */
	void writeFully(int fd, byte[] data) throws NativeException {
		if (data.length == 0) {
			return;
		}
		Pointer buffer = Memory.allocateDirect(this.runtime, data.length, false);
		buffer.put(0, data, 0, data.length);
		boolean socket = true;
		int written = 0;
		while (written < data.length) {
			Pointer rest = buffer.slice(written);
			int remaining = data.length - written;
			long count = socket ? this.libc.send(fd, rest, remaining, MSG_NOSIGNAL)
					: this.libc.write(fd, rest, remaining);
			if (count >= 0) {
				written += (int) count;
				continue;
			}
			int errno = errno();
			if (socket && errno == ENOTSOCK) {
				socket = false;
			}
			else if (errno != EINTR) {
				throw failure("write to fd " + fd, errno);
			}
		}
	}

	/**
	 * Starts {@code argv} with posix_spawnp (argv[0] searched in this process's PATH) and returns the child's pid. Every
	 * string (argv, env, the directory) is in byte form ({@link ByteStrings}), so it reaches the child byte for byte;
	 * ASCII needs no conversion. The child gets {@code env} as its whole environment, fds 0-2 unchanged, {@code passFds[i]} at fd {@code 3 + i}
	 * (without FD_CLOEXEC) and no other fd; it starts in {@code workingDirectory} if not null, with no signal blocked
	 * and every signal at its default disposition. Requires glibc 2.34 or later.
	 * @throws NativeException naming argv[0] if the child could not be started (for example errno 2 for a missing
	 * program)
	 */
	int spawn(List<String> argv, List<String> env, String workingDirectory, int[] passFds) throws NativeException {
		if (argv.isEmpty()) {
			throw new IllegalArgumentException("argv must name the program to spawn");
		}
		String program = argv.get(0);
		String subject = (workingDirectory != null) ? program + " in " + workingDirectory : program;
		int count = passFds.length;
		int highest = 2;
		for (int fd : passFds) {
			if (!isOpen(fd)) {
				throw failure("pass fd " + fd + " to " + program, EBADF);
			}
			highest = Math.max(highest, fd);
		}
		// temporaries above every source and every target, so no dup2 overwrites a source nor copies an fd onto itself
		int temporaryBase = Math.max(TEMPORARY_FD_BASE, Math.max(highest + 1, 3 + count));
		List<Pointer> keepAlive = new ArrayList<>();
		Pointer file = cString(program, keepAlive);
		Pointer argvArray = cStringArray(argv, keepAlive);
		Pointer envArray = cStringArray(env, keepAlive);
		Pointer directory = (workingDirectory != null) ? cString(workingDirectory, keepAlive) : null;
		Pointer actions = Memory.allocateDirect(this.runtime, SPAWN_FILE_ACTIONS_SIZE, true);
		Pointer attributes = Memory.allocateDirect(this.runtime, SPAWN_ATTRIBUTES_SIZE, true);
		Pointer mask = Memory.allocateDirect(this.runtime, SIGSET_SIZE, true);
		Pointer defaults = Memory.allocateDirect(this.runtime, SIGSET_SIZE, true);
		checkSpawnStep(this.libc.posix_spawn_file_actions_init(actions), subject, "posix_spawn_file_actions_init");
		try {
			checkSpawnStep(this.libc.posix_spawnattr_init(attributes), subject, "posix_spawnattr_init");
			try {
				for (int i = 0; i < count; i++) {
					checkSpawnStep(
							this.libc.posix_spawn_file_actions_adddup2(actions, passFds[i], temporaryBase + i),
							subject, "adddup2 " + passFds[i] + " -> " + (temporaryBase + i));
				}
				for (int i = 0; i < count; i++) {
					checkSpawnStep(this.libc.posix_spawn_file_actions_adddup2(actions, temporaryBase + i, 3 + i),
							subject, "adddup2 " + (temporaryBase + i) + " -> " + (3 + i));
				}
				addCloseFrom(actions, 3 + count, subject);
				if (directory != null) {
					checkSpawnStep(this.libc.posix_spawn_file_actions_addchdir_np(actions, directory), subject,
							"addchdir_np");
				}
				if (this.libc.sigemptyset(mask) != 0) {
					throw failure("spawn " + subject + " (sigemptyset)");
				}
				if (this.libc.sigfillset(defaults) != 0) {
					throw failure("spawn " + subject + " (sigfillset)");
				}
				checkSpawnStep(this.libc.posix_spawnattr_setsigmask(attributes, mask), subject, "setsigmask");
				checkSpawnStep(this.libc.posix_spawnattr_setsigdefault(attributes, defaults), subject,
						"setsigdefault");
				// Not a session of its own (POSIX_SPAWN_SETSID): measured at saturation on two
				// cores, it halved the handover under keep-alive load but doubled it with a new
				// connection per request (autogroup scheduling), see the README's benchmark.
				checkSpawnStep(this.libc.posix_spawnattr_setflags(attributes,
						(short) (POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)), subject, "setflags");
				IntByReference pid = new IntByReference(0);
				int error = this.libc.posix_spawnp(pid, file, actions, attributes, argvArray, envArray);
				if (error != 0) {
					throw failure("spawn " + subject, error);
				}
				return pid.intValue();
			}
			finally {
				this.libc.posix_spawnattr_destroy(attributes);
			}
		}
		finally {
			this.libc.posix_spawn_file_actions_destroy(actions);
			Reference.reachabilityFence(keepAlive);
			Reference.reachabilityFence(mask);
			Reference.reachabilityFence(defaults);
		}
	}

	private void addCloseFrom(Pointer actions, int lowFd, String subject) throws NativeException {
		int error;
		try {
			error = this.libc.posix_spawn_file_actions_addclosefrom_np(actions, lowFd);
		}
		catch (UnsatisfiedLinkError ex) {
			throw new NativeException("Unable to spawn " + subject
					+ ": posix_spawn_file_actions_addclosefrom_np is missing, so the child would inherit every open "
					+ "fd of this JVM; glibc 2.34 or later is required (this is glibc " + glibcVersion() + ")",
					ENOSYS, ex);
		}
		checkSpawnStep(error, subject, "addclosefrom_np");
	}

	private String glibcVersion() {
		try {
			return this.libc.gnu_get_libc_version();
		}
		catch (UnsatisfiedLinkError ex) {
			return "unknown, perhaps not glibc";
		}
	}

	/**
	 * Reaps {@code pid} (a child of this process), retrying EINTR. With {@code noHang}, returns null if it is still
	 * running.
	 */
	ExitStatus waitpid(int pid, boolean noHang) throws NativeException {
		requirePositivePid(pid);
		IntByReference status = new IntByReference(0);
		while (true) {
			int result = this.libc.waitpid(pid, status, noHang ? WNOHANG : 0);
			if (result == 0) {
				return null;
			}
			if (result > 0) {
				return decodeWaitStatus(pid, status.intValue());
			}
			int errno = errno();
			if (errno != EINTR) {
				throw failure("wait for process " + pid, errno);
			}
		}
	}

	private static ExitStatus decodeWaitStatus(int pid, int status) {
		int signal = status & 0x7f;
		if (signal == 0) {
			return new ExitStatus(pid, (status >> 8) & 0xff, null);
		}
		return new ExitStatus(pid, null, signal);
	}

	/** Sends {@code signal} to process {@code pid} (never a process group: pid must be positive). */
	void kill(int pid, int signal) throws NativeException {
		requirePositivePid(pid);
		if (this.libc.kill(pid, signal) == -1) {
			throw failure("send signal " + signal + " (" + ExitStatus.signalName(signal) + ") to process " + pid);
		}
	}

	/** Whether process {@code pid} exists (kill(pid, 0)); an unreaped zombie child still counts as alive. */
	boolean isAlive(int pid) {
		requirePositivePid(pid);
		if (this.libc.kill(pid, 0) == 0) {
			return true;
		}
		int errno = errno();
		if (errno == ESRCH) {
			return false;
		}
		if (errno == EPERM) {
			return true;
		}
		throw new UncheckedIOException(failure("check whether process " + pid + " is alive", errno));
	}

	/** The libc (not the JVM's cached) value of environment variable {@code name}, or null. */
	String getenv(String name) {
		return this.libc.getenv(name);
	}

	/**
	 * Removes the variables {@code names} from this process: from libc's environment (unsetenv, so native getenv and
	 * children spawned with libc's environ no longer see them) and from the original environment block, whose bytes
	 * are overwritten with NULs through /proc/self/mem so that /proc/self/environ no longer shows them. The JVM's own
	 * snapshot behind {@link System#getenv()} is not affected.
	 * @throws NativeException if unsetenv fails or the environment block cannot be rewritten
	 */
	void scrubEnvironment(Set<String> names) throws NativeException {
		for (String name : names) {
			if (name.isEmpty() || name.indexOf('=') >= 0 || name.indexOf('\0') >= 0) {
				throw new IllegalArgumentException("Invalid environment variable name '" + name + "'");
			}
		}
		for (String name : names) {
			if (this.libc.unsetenv(name) != 0) {
				throw failure("unset environment variable " + name);
			}
		}
		if (!names.isEmpty()) {
			scrubEnvironmentBlock(names);
		}
	}

	private void scrubEnvironmentBlock(Set<String> names) throws NativeException {
		long envStart;
		byte[] block;
		try {
			envStart = environmentBlockStart();
			block = Files.readAllBytes(Path.of("/proc/self/environ"));
		}
		catch (IOException | RuntimeException ex) {
			throw new NativeException("Unable to locate the environment block of this process to remove " + names
					+ " from /proc/self/environ: " + ex.getMessage(), 0, ex);
		}
		List<int[]> entries = findEntries(block, names);
		if (entries.isEmpty()) {
			return;
		}
		try (RandomAccessFile memory = new RandomAccessFile("/proc/self/mem", "rw")) {
			for (int[] entry : entries) {
				int offset = entry[0];
				int length = entry[1];
				byte[] current = new byte[length];
				memory.seek(envStart + offset);
				memory.readFully(current);
				if (!Arrays.equals(current, 0, length, block, offset, offset + length)) {
					throw new NativeException("Unable to remove " + names + " from /proc/self/environ: the memory at "
							+ "env_start+" + offset + " does not hold the entry /proc/self/environ shows there", 0,
							null);
				}
				memory.seek(envStart + offset);
				memory.write(new byte[length]);
			}
		}
		catch (IOException ex) {
			if (ex instanceof NativeException nativeException) {
				throw nativeException;
			}
			throw new NativeException("Unable to remove " + names + " from /proc/self/environ: writing /proc/self/mem "
					+ "failed (" + ex.getMessage() + ")", 0, ex);
		}
		try {
			if (!findEntries(Files.readAllBytes(Path.of("/proc/self/environ")), names).isEmpty()) {
				throw new NativeException("Unable to remove " + names + " from /proc/self/environ: still present after "
						+ "overwriting", 0, null);
			}
		}
		catch (IOException ex) {
			if (ex instanceof NativeException nativeException) {
				throw nativeException;
			}
			throw new NativeException("Unable to verify /proc/self/environ: " + ex.getMessage(), 0, ex);
		}
	}

	/** Offsets and lengths of the NUL-separated "NAME=value" entries of {@code block} whose NAME is in {@code names}. */
	private List<int[]> findEntries(byte[] block, Set<String> names) {
		List<byte[]> prefixes = new ArrayList<>();
		for (String name : names) {
			prefixes.add((name + "=").getBytes(this.charset));
		}
		List<int[]> entries = new ArrayList<>();
		int start = 0;
		while (start < block.length) {
			int end = start;
			while (end < block.length && block[end] != 0) {
				end++;
			}
			for (byte[] prefix : prefixes) {
				if (end - start >= prefix.length
						&& Arrays.equals(block, start, start + prefix.length, prefix, 0, prefix.length)) {
					entries.add(new int[] { start, end - start });
					break;
				}
			}
			start = end + 1;
		}
		return entries;
	}

	/** env_start, field 50 of /proc/self/stat; fields are counted after the last ')' since comm may hold anything. */
	private static long environmentBlockStart() throws IOException {
		String stat = Files.readString(Path.of("/proc/self/stat"), StandardCharsets.ISO_8859_1);
		int commEnd = stat.lastIndexOf(')');
		if (commEnd < 0) {
			throw new IOException("Unexpected /proc/self/stat format");
		}
		String[] fields = stat.substring(commEnd + 1).trim().split(" ");
		// fields[0] is field 3 (state)
		int envStartIndex = 50 - 3;
		if (fields.length <= envStartIndex + 1) {
			throw new IOException("/proc/self/stat has no env_start field (kernel older than 3.5?)");
		}
		long envStart = Long.parseUnsignedLong(fields[envStartIndex]);
		long envEnd = Long.parseUnsignedLong(fields[envStartIndex + 1]);
		if (envStart == 0 || envEnd < envStart) {
			throw new IOException("/proc/self/stat reports no environment block (" + envStart + ".." + envEnd + ")");
		}
		return envStart;
	}

	private int fileType(int fd) throws NativeException {
		Pointer stat = Memory.allocateDirect(this.runtime, STAT_SIZE, true);
		if (this.libc.fstat(fd, stat) == -1) {
			throw failure("fstat fd " + fd);
		}
		return stat.getInt(STAT_MODE_OFFSET) & S_IFMT;
	}

	private static String describeFileType(int fd, int fileType) {
		switch (fileType) {
			case S_IFREG:
				return "a regular file";
			case S_IFDIR:
				return "a directory";
			case S_IFIFO:
				return "a pipe/FIFO";
			case S_IFCHR:
				return "a character device";
			case S_IFBLK:
				return "a block device";
			case S_IFLNK:
				return "a symbolic link";
			case 0:
				return "an anonymous inode (" + linkTarget(fd) + ")";
			default:
				return "a file of unknown type 0" + Integer.toOctalString(fileType);
		}
	}

	private static String linkTarget(int fd) {
		try {
			return Files.readSymbolicLink(PROC_SELF_FD.resolve(Integer.toString(fd))).toString();
		}
		catch (IOException ex) {
			return "eventfd, epoll or similar";
		}
	}

	private int intSocketOption(int fd, int option, String optionName) throws NativeException {
		Pointer value = Memory.allocateDirect(this.runtime, 4, true);
		IntByReference length = new IntByReference(4);
		if (this.libc.getsockopt(fd, SOL_SOCKET, option, value, length) == -1) {
			throw failure("read " + optionName + " of fd " + fd);
		}
		return value.getInt(0);
	}

	private InetSocketAddress localAddress(int fd) throws NativeException {
		Pointer address = Memory.allocateDirect(this.runtime, SOCKADDR_STORAGE_SIZE, true);
		IntByReference length = new IntByReference(SOCKADDR_STORAGE_SIZE);
		if (this.libc.getsockname(fd, address, length) == -1) {
			throw failure("read the local address of fd " + fd);
		}
		return decodeSocketAddress(address, length.intValue());
	}

	/** Decodes a sockaddr_in/sockaddr_in6 (port and address in network byte order); null for other families. */
	private static InetSocketAddress decodeSocketAddress(Pointer address, int length) {
		int family = address.getShort(0) & 0xffff;
		int port = ((address.getByte(2) & 0xff) << 8) | (address.getByte(3) & 0xff);
		try {
			if (family == AF_INET && length >= 8) {
				byte[] bytes = new byte[4];
				address.get(4, bytes, 0, 4);
				return new InetSocketAddress(InetAddress.getByAddress(bytes), port);
			}
			if (family == AF_INET6 && length >= 28) {
				byte[] bytes = new byte[16];
				address.get(8, bytes, 0, 16);
				int scopeId = address.getInt(24);
				// getByAddress turns a v4-mapped address into an Inet4Address
				InetAddress inet = InetAddress.getByAddress(bytes);
				if (scopeId != 0 && inet instanceof Inet6Address) {
					inet = Inet6Address.getByAddress(null, bytes, scopeId);
				}
				return new InetSocketAddress(inet, port);
			}
		}
		catch (UnknownHostException ex) {
			throw new IllegalStateException("Unexpected address length", ex);
		}
		return null;
	}

	private static boolean sameAddress(InetAddress a, InetAddress b) {
		InetAddress left = unmapIpv4(a);
		InetAddress right = unmapIpv4(b);
		if (left.isAnyLocalAddress() && right.isAnyLocalAddress()) {
			return true;
		}
		return Arrays.equals(left.getAddress(), right.getAddress());
	}

	private static InetAddress unmapIpv4(InetAddress address) {
		byte[] bytes = address.getAddress();
		if (address instanceof Inet6Address && isV4Mapped(bytes)) {
			try {
				return Inet4Address.getByAddress(Arrays.copyOfRange(bytes, 12, 16));
			}
			catch (UnknownHostException ex) {
				throw new IllegalStateException(ex);
			}
		}
		return address;
	}

	private static boolean isV4Mapped(byte[] bytes) {
		for (int i = 0; i < 10; i++) {
			if (bytes[i] != 0) {
				return false;
			}
		}
		return bytes[10] == (byte) 0xff && bytes[11] == (byte) 0xff;
	}

	private static int[] openFds() throws NativeException {
		List<Integer> fds = new ArrayList<>();
		try (DirectoryStream<Path> entries = Files.newDirectoryStream(PROC_SELF_FD)) {
			for (Path entry : entries) {
				fds.add(Integer.parseInt(entry.getFileName().toString()));
			}
		}
		catch (IOException ex) {
			throw new NativeException("Unable to list " + PROC_SELF_FD + ": " + ex.getMessage(), 0, ex);
		}
		return fds.stream().mapToInt(Integer::intValue).sorted().toArray();
	}

	/** A C string of {@code value}, which is in byte form ({@link ByteStrings}): each char is one byte. */
	private Pointer cString(String value, List<Pointer> keepAlive) {
		if (value.indexOf('\0') >= 0) {
			throw new IllegalArgumentException("NUL character in '" + value.replace('\0', '?') + "'");
		}
		byte[] bytes = ByteStrings.toBytes(value);
		Pointer pointer = Memory.allocateDirect(this.runtime, bytes.length + 1, true);
		pointer.put(0, bytes, 0, bytes.length);
		keepAlive.add(pointer);
		return pointer;
	}

	/** A NULL-terminated char*[] of {@code values}. */
	private Pointer cStringArray(List<String> values, List<Pointer> keepAlive) {
		int slot = this.runtime.addressSize();
		Pointer array = Memory.allocateDirect(this.runtime, (long) (values.size() + 1) * slot, true);
		for (int i = 0; i < values.size(); i++) {
			array.putPointer((long) i * slot, cString(values.get(i), keepAlive));
		}
		array.putAddress((long) values.size() * slot, 0L);
		keepAlive.add(array);
		return array;
	}

	private static void requirePositivePid(int pid) {
		if (pid <= 0) {
			throw new IllegalArgumentException("pid must be positive (process groups are never targeted): " + pid);
		}
	}

	/** Posix_spawn helpers return the error number instead of setting errno. */
	private static void checkSpawnStep(int error, String subject, String step) throws NativeException {
		if (error != 0) {
			throw failure("spawn " + subject + " (" + step + ")", error);
		}
	}

	private int errno() {
		return LastError.getLastError(this.runtime);
	}

	/**
	 * Set one thread's nice value ({@code setpriority(PRIO_PROCESS, tid, nice)}; on Linux a
	 * thread id names that thread only).
	 * @param tid the thread id
	 * @param nice the nice value, -20 to 19
	 * @throws NativeException if the kernel refuses (EACCES: lowering it needs CAP_SYS_NICE
	 * or RLIMIT_NICE; ESRCH: the thread is gone)
	 */
	void setThreadNice(int tid, int nice) throws NativeException {
		if (this.libc.setpriority(0, tid, nice) != 0) {
			throw failure("set the nice value of thread " + tid + " to " + nice);
		}
	}

	private NativeException failure(String action) {
		return failure(action, errno());
	}

	private static NativeException failure(String action, int errno) {
		return new NativeException(action, strerror(errno), errno);
	}

	/** The C library's message for {@code errno}, in English regardless of locale. */
	static String strerror(int errno) {
		Errno constant = Errno.valueOf(errno);
		if (constant == null || !constant.defined() || constant == Errno.__UNKNOWN_CONSTANT__) {
			return "Unknown error " + errno;
		}
		return constant.description();
	}

	private static final class Holder {

		static final NativePosix INSTANCE = new NativePosix(LibraryLoader.create(NativeLibC.class).load("c"));

	}

}
