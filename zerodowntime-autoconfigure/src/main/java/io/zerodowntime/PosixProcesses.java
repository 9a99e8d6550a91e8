package io.zerodowntime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ref.Reference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntSupplier;

import jnr.ffi.Pointer;
import jnr.ffi.byref.IntByReference;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * {@link Processes} through libc: {@code posix_spawnp} with glibc's file actions and
 * attributes, {@code waitpid}, {@code kill}, {@code setpriority}, and
 * {@code /proc/<pid>/stat}.
 * <p>
 * The child gets no descriptor but the ones passed. With glibc 2.34 or later one file
 * action does it ({@code posix_spawn_file_actions_addclosefrom_np}). Before that, the
 * spawn closes every descriptor number from the first unpassed one up to the size of this
 * process's descriptor table ({@code FDSize} in {@code /proc/self/status}), read just
 * before the spawn. Every open descriptor is below that size, and a table never shrinks;
 * so when the size read again after the spawn has not grown past the range closed, every
 * descriptor open when the child was forked was closed in the child: no race. When it
 * grew (a thread opened so many descriptors, or one at so high a number, in the
 * microseconds of the spawn that the table had to grow), the child may hold one: the
 * spawn fails with {@link DescriptorTableGrewException}, and the caller stops what it
 * started.
 */
final class PosixProcesses implements Processes {

	private static final Log logger = LogFactory.getLog(PosixProcesses.class);

	private static final int WNOHANG = 1;

	private static final short POSIX_SPAWN_SETSIGDEF = 0x04;

	private static final short POSIX_SPAWN_SETSIGMASK = 0x08;

	/**
	 * First temporary fd of the two-phase dup2; far above what a JVM normally has open.
	 */
	private static final int TEMPORARY_FD_BASE = 900;

	private final PosixBinding binding;

	private final LibC libc;

	private static final Path PROC_SELF_STATUS = Path.of("/proc/self/status");

	private static final Path PROC_SELF_CWD = Path.of("/proc/self/cwd");

	private final Fds fds;

	private final IntSupplier descriptorTableSize;

	private volatile boolean closeFromMissing;

	private volatile boolean chdirMissing;

	PosixProcesses(PosixBinding binding, Fds fds) {
		this(binding, fds, PosixProcesses::readDescriptorTableSize);
	}

	PosixProcesses(PosixBinding binding, Fds fds, IntSupplier descriptorTableSize) {
		this.binding = binding;
		this.libc = binding.libc();
		this.fds = fds;
		this.descriptorTableSize = descriptorTableSize;
	}

	/**
	 * Spawn as where glibc has no {@code posix_spawn_file_actions_addclosefrom_np}
	 * (before 2.34): for tests on a newer glibc.
	 */
	void closeEachDescriptor() {
		this.closeFromMissing = true;
	}

	@Override
	public int pid() {
		return this.libc.getpid();
	}

	@Override
	public int spawn(List<String> argv, List<String> env, String workingDirectory, int[] passFds)
			throws NativeException {
		if (argv.isEmpty()) {
			throw new IllegalArgumentException("argv must name the program to spawn");
		}
		String program = argv.get(0);
		String subject = (workingDirectory != null) ? program + " in " + workingDirectory : program;
		int count = passFds.length;
		int highest = 2;
		for (int fd : passFds) {
			if (!this.fds.isOpen(fd)) {
				throw PosixBinding.failure("pass fd " + fd + " to " + program, PosixBinding.EBADF);
			}
			highest = Math.max(highest, fd);
		}
		// temporaries above every source and every target, so no dup2 overwrites a source
		// nor copies an fd onto itself
		int temporaryBase = Math.max(TEMPORARY_FD_BASE, Math.max(highest + 1, 3 + count));
		List<Pointer> keepAlive = new ArrayList<>();
		Pointer file = this.binding.cString(program, keepAlive);
		Pointer argvArray = this.binding.cStringArray(argv, keepAlive);
		Pointer envArray = this.binding.cStringArray(env, keepAlive);
		Pointer directory = (workingDirectory != null) ? this.binding.cString(workingDirectory, keepAlive) : null;
		Pointer actions = this.binding.allocate(PosixBinding.SPAWN_FILE_ACTIONS_SIZE);
		Pointer attributes = this.binding.allocate(PosixBinding.SPAWN_ATTRIBUTES_SIZE);
		Pointer mask = this.binding.allocate(PosixBinding.SIGSET_SIZE);
		Pointer defaults = this.binding.allocate(PosixBinding.SIGSET_SIZE);
		checkSpawnStep(this.libc.posix_spawn_file_actions_init(actions), subject, "posix_spawn_file_actions_init");
		try {
			checkSpawnStep(this.libc.posix_spawnattr_init(attributes), subject, "posix_spawnattr_init");
			try {
				for (int i = 0; i < count; i++) {
					checkSpawnStep(this.libc.posix_spawn_file_actions_adddup2(actions, passFds[i], temporaryBase + i),
							subject, "adddup2 " + passFds[i] + " -> " + (temporaryBase + i));
				}
				for (int i = 0; i < count; i++) {
					checkSpawnStep(this.libc.posix_spawn_file_actions_adddup2(actions, temporaryBase + i, 3 + i),
							subject, "adddup2 " + (temporaryBase + i) + " -> " + (3 + i));
				}
				int closedBelow = addCloseFrom(actions, 3 + count, temporaryBase + count, subject);
				if (directory != null) {
					addChdir(actions, directory, workingDirectory, subject);
				}
				if (this.libc.sigemptyset(mask) != 0) {
					throw this.binding.failure("spawn " + subject + " (sigemptyset)");
				}
				if (this.libc.sigfillset(defaults) != 0) {
					throw this.binding.failure("spawn " + subject + " (sigfillset)");
				}
				checkSpawnStep(this.libc.posix_spawnattr_setsigmask(attributes, mask), subject, "setsigmask");
				checkSpawnStep(this.libc.posix_spawnattr_setsigdefault(attributes, defaults), subject, "setsigdefault");
				// Not a session of its own (POSIX_SPAWN_SETSID): measured at saturation
				// on two
				// cores, it halved the handover under keep-alive load but doubled it with
				// a new
				// connection per request (autogroup scheduling), see the README's
				// benchmark.
				checkSpawnStep(this.libc.posix_spawnattr_setflags(attributes,
						(short) (POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)), subject, "setflags");
				IntByReference pid = new IntByReference(0);
				int error = this.libc.posix_spawnp(pid, file, actions, attributes, argvArray, envArray);
				if (error != 0) {
					throw PosixBinding.failure("spawn " + subject, error);
				}
				if (closedBelow > 0) {
					checkTableDidNotGrow(pid.intValue(), closedBelow, subject);
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

	/**
	 * Close every fd from {@code lowFd} in the child: one action with glibc 2.34 or
	 * later, else one per descriptor number up to this process's descriptor table size
	 * (and at least {@code aboveTemporaries}).
	 * @return the number every fd below was closed from {@code lowFd} on, or 0 when no fd
	 * can be left open however the table grows (closefrom did it, or the range ends at
	 * the open-files limit)
	 */
	private int addCloseFrom(Pointer actions, int lowFd, int aboveTemporaries, String subject) throws NativeException {
		if (!this.closeFromMissing) {
			try {
				checkSpawnStep(this.libc.posix_spawn_file_actions_addclosefrom_np(actions, lowFd), subject,
						"addclosefrom_np");
				return 0;
			}
			catch (UnsatisfiedLinkError ex) {
				this.closeFromMissing = true;
				logger.info("glibc " + this.binding.glibcVersion() + " has no posix_spawn_file_actions_addclosefrom_np "
						+ "(glibc 2.34 or later): a new generation is spawned with every descriptor number from "
						+ lowFd + " up to this process's descriptor table size closed in the child");
			}
		}
		int tableSize = this.descriptorTableSize.getAsInt();
		int end = Math.max(tableSize, aboveTemporaries);
		for (int fd = lowFd; fd < end; fd++) {
			int error = this.libc.posix_spawn_file_actions_addclose(actions, fd);
			if (error == PosixBinding.EBADF) {
				// at the open-files limit: no new descriptor can get this number or a
				// higher one, so only one already open there would stay open
				for (int open : this.fds.openFds()) {
					if (open >= fd) {
						throw new NativeException("Unable to spawn " + subject + ": fd " + open
								+ " is open above the open-files limit (" + fd + "), so the child cannot be made to "
								+ "close it without posix_spawn_file_actions_addclosefrom_np (glibc 2.34 or later; "
								+ "this is glibc " + this.binding.glibcVersion() + "); raise the limit (ulimit -n) "
								+ "above " + open, PosixBinding.EBADF, null);
					}
				}
				// the kernel gives no descriptor a number at or above the limit, so the
				// table may grow without harm
				return 0;
			}
			checkSpawnStep(error, subject, "addclose " + fd);
		}
		return end;
	}

	/**
	 * A table that grew past the closed range during the spawn may have had a descriptor
	 * there when the child was forked: stop the child and fail.
	 */
	private void checkTableDidNotGrow(int pid, int closedBelow, String subject) throws NativeException {
		int after = this.descriptorTableSize.getAsInt();
		if (after <= closedBelow) {
			return;
		}
		try {
			kill(pid, SIGKILL);
			waitpid(pid, false);
		}
		catch (NativeException ex) {
			// it is gone already
		}
		throw new DescriptorTableGrewException("Unable to spawn " + subject + ": this process's descriptor table grew "
				+ "from " + closedBelow + " to " + after + " slots while the child was forked, so the child may "
				+ "have inherited a descriptor above " + (closedBelow - 1) + " (glibc " + this.binding.glibcVersion()
				+ " has no posix_spawn_file_actions_addclosefrom_np); the child (pid " + pid + ") was killed; "
				+ "try again", pid);
	}

	/**
	 * Start in {@code directory}: a file action with glibc 2.29 or later; before that,
	 * only where the child would start anyway (this process's own directory).
	 */
	private void addChdir(Pointer actions, Pointer directory, String workingDirectory, String subject)
			throws NativeException {
		if (!this.chdirMissing) {
			try {
				checkSpawnStep(this.libc.posix_spawn_file_actions_addchdir_np(actions, directory), subject,
						"addchdir_np");
				return;
			}
			catch (UnsatisfiedLinkError ex) {
				this.chdirMissing = true;
			}
		}
		if (!isCurrentDirectory(workingDirectory)) {
			throw new NativeException("Unable to spawn " + subject + ": it must start in " + workingDirectory
					+ ", which is not this process's working directory, and glibc " + this.binding.glibcVersion()
					+ " has no posix_spawn_file_actions_addchdir_np (glibc 2.29 or later); start this application "
					+ "in that directory (WorkingDirectory= of its unit), or upgrade glibc", PosixBinding.ENOSYS, null);
		}
	}

	private static boolean isCurrentDirectory(String workingDirectory) {
		Path directory = ByteStrings.toPath(workingDirectory);
		if (directory == null) {
			return false;
		}
		try {
			return Files.isSameFile(directory, PROC_SELF_CWD.toRealPath());
		}
		catch (IOException ex) {
			return false;
		}
	}

	/** {@code FDSize} of {@code /proc/self/status}: the slots of the descriptor table. */
	static int readDescriptorTableSize() {
		try {
			for (String line : Files.readAllLines(PROC_SELF_STATUS)) {
				if (line.startsWith("FDSize:")) {
					return Integer.parseInt(line.substring("FDSize:".length()).trim());
				}
			}
			throw new IllegalStateException(
					"Unable to read the descriptor table size: no FDSize in " + PROC_SELF_STATUS);
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Unable to read the descriptor table size from " + PROC_SELF_STATUS, ex);
		}
	}

	/** Posix_spawn helpers return the error number instead of setting errno. */
	private static void checkSpawnStep(int error, String subject, String step) throws NativeException {
		if (error != 0) {
			throw PosixBinding.failure("spawn " + subject + " (" + step + ")", error);
		}
	}

	@Override
	public ExitStatus waitpid(int pid, boolean noHang) throws NativeException {
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
			int errno = this.binding.errno();
			if (errno != PosixBinding.EINTR) {
				throw PosixBinding.failure("wait for process " + pid, errno);
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

	@Override
	public void kill(int pid, int signal) throws NativeException {
		requirePositivePid(pid);
		if (this.libc.kill(pid, signal) == -1) {
			throw this.binding
				.failure("send signal " + signal + " (" + ExitStatus.signalName(signal) + ") to process " + pid);
		}
	}

	@Override
	public boolean isAlive(int pid) {
		requirePositivePid(pid);
		if (this.libc.kill(pid, 0) == 0) {
			return true;
		}
		int errno = this.binding.errno();
		if (errno == PosixBinding.ESRCH) {
			return false;
		}
		if (errno == PosixBinding.EPERM) {
			return true;
		}
		throw new UncheckedIOException(PosixBinding.failure("check whether process " + pid + " is alive", errno));
	}

	/** The start time in clock ticks since boot ({@code /proc/<pid>/stat} field 22). */
	@Override
	public String identity(long pid) {
		try {
			String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
			String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
			// fields[0] is field 3 (state); a zombie has exited already
			return fields[0].equals("Z") ? null : fields[19];
		}
		catch (IOException | RuntimeException ex) {
			return null;
		}
	}

	@Override
	public void setThreadNice(int tid, int nice) throws NativeException {
		if (this.libc.setpriority(0, tid, nice) != 0) {
			throw this.binding.failure("set the nice value of thread " + tid + " to " + nice);
		}
	}

	private static void requirePositivePid(int pid) {
		if (pid <= 0) {
			throw new IllegalArgumentException("pid must be positive (process groups are never targeted): " + pid);
		}
	}

}
