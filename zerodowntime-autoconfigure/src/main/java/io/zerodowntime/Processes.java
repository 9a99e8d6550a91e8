package io.zerodowntime;

import java.util.List;

/**
 * Processes: this one's pid, starting one, waiting for it, signalling one, and thread
 * nice values. {@link PosixProcesses} asks the kernel; tests pass a fake.
 */
interface Processes {

	/** Hang-up: the upgrade trigger. */
	int SIGHUP = 1;

	/** Kill, cannot be caught. */
	int SIGKILL = 9;

	/** Polite termination request. */
	int SIGTERM = 15;

	/**
	 * Return this process's id.
	 * @return the pid
	 */
	int pid();

	/**
	 * Start {@code argv} ({@code argv[0]} searched in this process's {@code PATH}). Every
	 * string is in byte form ({@link ByteStrings}) and reaches the child byte for byte.
	 * The child gets {@code env} as its whole environment, fds 0-2 unchanged,
	 * {@code passFds[i]} at fd {@code 3 + i} (not close-on-exec) and no other fd; it
	 * starts in {@code workingDirectory} if not null, with no signal blocked and every
	 * signal at its default disposition.
	 * @param argv the program and its arguments
	 * @param env the whole environment, {@code NAME=value} entries
	 * @param workingDirectory where it starts, or {@code null} for this process's
	 * @param passFds the descriptors it gets from fd 3 on
	 * @return the child's pid
	 * @throws NativeException naming {@code argv[0]} if it could not be started (for
	 * example errno 2 for a missing program)
	 */
	int spawn(List<String> argv, List<String> env, String workingDirectory, int[] passFds) throws NativeException;

	/**
	 * Reap {@code pid}, a child of this process.
	 * @param pid the child
	 * @param noHang whether to return at once if it still runs
	 * @return how it ended, or {@code null} with {@code noHang} if it still runs
	 * @throws NativeException if it is not a child of this process
	 */
	ExitStatus waitpid(int pid, boolean noHang) throws NativeException;

	/**
	 * Send {@code signal} to process {@code pid}; never to a process group.
	 * @param pid the process, positive
	 * @param signal the signal
	 * @throws NativeException if it cannot be sent
	 */
	void kill(int pid, int signal) throws NativeException;

	/**
	 * Return whether process {@code pid} exists; an unreaped zombie counts as alive.
	 * @param pid the process, positive
	 * @return whether it exists
	 */
	boolean isAlive(int pid);

	/**
	 * Return what tells process {@code pid} from a later one that reuses its pid (its
	 * start time), or {@code null} if no process, or only a zombie, has that pid.
	 * @param pid the process
	 * @return its identity, or {@code null}
	 */
	String identity(long pid);

	/**
	 * Set one thread's nice value.
	 * @param tid the thread id
	 * @param nice the nice value, -20 to 19
	 * @throws NativeException if the kernel refuses (EACCES: lowering it needs
	 * CAP_SYS_NICE or RLIMIT_NICE; ESRCH: the thread is gone)
	 */
	void setThreadNice(int tid, int nice) throws NativeException;

}
