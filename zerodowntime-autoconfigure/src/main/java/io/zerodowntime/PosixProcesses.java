package io.zerodowntime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ref.Reference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import jnr.ffi.Pointer;
import jnr.ffi.byref.IntByReference;

/**
 * {@link Processes} through libc: {@code posix_spawnp} with glibc's file actions and
 * attributes (glibc 2.34 or later), {@code waitpid}, {@code kill}, {@code setpriority},
 * and {@code /proc/<pid>/stat}.
 */
final class PosixProcesses implements Processes {

	private static final int WNOHANG = 1;

	private static final short POSIX_SPAWN_SETSIGDEF = 0x04;

	private static final short POSIX_SPAWN_SETSIGMASK = 0x08;

	/**
	 * First temporary fd of the two-phase dup2; far above what a JVM normally has open.
	 */
	private static final int TEMPORARY_FD_BASE = 900;

	private final PosixBinding binding;

	private final LibC libc;

	private final Fds fds;

	PosixProcesses(PosixBinding binding, Fds fds) {
		this.binding = binding;
		this.libc = binding.libc();
		this.fds = fds;
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
				addCloseFrom(actions, 3 + count, subject);
				if (directory != null) {
					checkSpawnStep(this.libc.posix_spawn_file_actions_addchdir_np(actions, directory), subject,
							"addchdir_np");
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
					+ "fd of this JVM; glibc 2.34 or later is required (this is glibc " + this.binding.glibcVersion()
					+ ")", PosixBinding.ENOSYS, ex);
		}
		checkSpawnStep(error, subject, "addclosefrom_np");
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
