package io.zerodowntime;

/**
 * The file descriptors of this process: the seam the core inherits, passes and talks over
 * descriptors through. {@link PosixFds} asks the kernel; tests pass a fake.
 */
interface Fds {

	/**
	 * Return whether {@code fd} is an open descriptor of this process.
	 * @param fd the descriptor
	 * @return whether it is open
	 */
	boolean isOpen(int fd);

	/**
	 * Return whether {@code FD_CLOEXEC} is set on {@code fd}.
	 * @param fd the descriptor
	 * @return whether it is closed on exec
	 * @throws NativeException if the flags cannot be read
	 */
	boolean isCloseOnExec(int fd) throws NativeException;

	/**
	 * Set or clear {@code FD_CLOEXEC} on {@code fd}.
	 * @param fd the descriptor
	 * @param on whether to set it
	 * @throws NativeException if the flags cannot be changed
	 */
	void setCloseOnExec(int fd, boolean on) throws NativeException;

	/**
	 * Duplicate {@code fd} onto the lowest free descriptor from 3 on, close-on-exec.
	 * @param fd the descriptor
	 * @return the copy
	 * @throws NativeException if it cannot be duplicated
	 */
	int dup(int fd) throws NativeException;

	/**
	 * Make {@code to} refer to the open file of {@code from} (closing {@code to} first);
	 * the copy is not close-on-exec.
	 * @param from the source
	 * @param to the target
	 * @throws NativeException if it cannot be duplicated
	 */
	void dup2(int from, int to) throws NativeException;

	/**
	 * Close {@code fd}; {@code EINTR} counts as closed (Linux always releases the fd).
	 * @param fd the descriptor
	 * @throws NativeException if it was not open
	 */
	void close(int fd) throws NativeException;

	/**
	 * Blocking read of up to {@code len} bytes into {@code buf[off..]}.
	 * @param fd the descriptor
	 * @param buf where to put the bytes
	 * @param off the first index
	 * @param len how many bytes at most
	 * @return how many bytes were read, 0 at the end of the stream
	 * @throws NativeException if the read fails
	 */
	int read(int fd, byte[] buf, int off, int len) throws NativeException;

	/**
	 * Blocking write of all of {@code data}; a vanished peer gives {@code EPIPE}, never
	 * {@code SIGPIPE}.
	 * @param fd the descriptor
	 * @param data the bytes
	 * @throws NativeException if the write fails
	 */
	void writeFully(int fd, byte[] data) throws NativeException;

	/**
	 * Return the open descriptors of this process, in ascending order.
	 * @return the descriptors
	 * @throws NativeException if they cannot be listed
	 */
	int[] openFds() throws NativeException;

}
