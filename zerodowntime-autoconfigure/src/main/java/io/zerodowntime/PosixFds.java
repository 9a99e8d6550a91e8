package io.zerodowntime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import jnr.ffi.Pointer;

/**
 * {@link Fds} through libc: {@code fcntl}, {@code dup2}, {@code close}, {@code read},
 * {@code send}/{@code write}, and {@code /proc/self/fd}. Every return code is checked
 * here.
 */
final class PosixFds implements Fds {

	private static final int F_GETFD = 1;

	private static final int F_SETFD = 2;

	private static final int FD_CLOEXEC = 1;

	private static final int F_DUPFD_CLOEXEC = 1030;

	private static final int MSG_NOSIGNAL = 0x4000;

	private static final int MAX_READ_CHUNK = 1 << 20;

	static final Path PROC_SELF_FD = Path.of("/proc/self/fd");

	private final PosixBinding binding;

	private final LibC libc;

	PosixFds(PosixBinding binding) {
		this.binding = binding;
		this.libc = binding.libc();
	}

	@Override
	public boolean isOpen(int fd) {
		if (fd < 0) {
			return false;
		}
		if (this.libc.fcntl(fd, F_GETFD, 0) != -1) {
			return true;
		}
		int errno = this.binding.errno();
		if (errno == PosixBinding.EBADF) {
			return false;
		}
		throw new UncheckedIOException(PosixBinding.failure("read the descriptor flags of fd " + fd, errno));
	}

	@Override
	public boolean isCloseOnExec(int fd) throws NativeException {
		int flags = this.libc.fcntl(fd, F_GETFD, 0);
		if (flags == -1) {
			throw this.binding.failure("read the descriptor flags of fd " + fd);
		}
		return (flags & FD_CLOEXEC) != 0;
	}

	@Override
	public void setCloseOnExec(int fd, boolean on) throws NativeException {
		int flags = this.libc.fcntl(fd, F_GETFD, 0);
		if (flags == -1) {
			throw this.binding.failure("read the descriptor flags of fd " + fd);
		}
		int wanted = on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC);
		if (wanted != flags && this.libc.fcntl(fd, F_SETFD, wanted) == -1) {
			throw this.binding.failure((on ? "set" : "clear") + " close-on-exec on fd " + fd);
		}
	}

	@Override
	public void dup2(int from, int to) throws NativeException {
		while (this.libc.dup2(from, to) == -1) {
			int errno = this.binding.errno();
			if (errno != PosixBinding.EINTR) {
				throw PosixBinding.failure("duplicate fd " + from + " onto fd " + to, errno);
			}
		}
	}

	@Override
	public void close(int fd) throws NativeException {
		if (this.libc.close(fd) == -1) {
			int errno = this.binding.errno();
			if (errno != PosixBinding.EINTR) {
				throw PosixBinding.failure("close fd " + fd, errno);
			}
		}
	}

	@Override
	public int dup(int fd) throws NativeException {
		int copy = this.libc.fcntl(fd, F_DUPFD_CLOEXEC, 3);
		if (copy == -1) {
			throw this.binding.failure("duplicate fd " + fd);
		}
		return copy;
	}

	@Override
	public int read(int fd, byte[] buf, int off, int len) throws NativeException {
		Objects.checkFromIndexSize(off, len, buf.length);
		if (len == 0) {
			return 0;
		}
		int chunk = Math.min(len, MAX_READ_CHUNK);
		Pointer buffer = this.binding.allocateUncleared(chunk);
		while (true) {
			long count = this.libc.read(fd, buffer, chunk);
			if (count >= 0) {
				buffer.get(0, buf, off, (int) count);
				return (int) count;
			}
			int errno = this.binding.errno();
			if (errno != PosixBinding.EINTR) {
				throw PosixBinding.failure("read from fd " + fd, errno);
			}
		}
	}

	/**
	 * {@inheritDoc}
	 * <p>
	 * Sockets are written with {@code MSG_NOSIGNAL}; other fds rely on the JVM ignoring
	 * {@code SIGPIPE}.
	 */
	@Override
	public void writeFully(int fd, byte[] data) throws NativeException {
		if (data.length == 0) {
			return;
		}
		Pointer buffer = this.binding.allocateUncleared(data.length);
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
			int errno = this.binding.errno();
			if (socket && errno == PosixBinding.ENOTSOCK) {
				socket = false;
			}
			else if (errno != PosixBinding.EINTR) {
				throw PosixBinding.failure("write to fd " + fd, errno);
			}
		}
	}

	@Override
	public int[] openFds() throws NativeException {
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

}
