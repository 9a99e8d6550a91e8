package io.zerodowntime;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.Out;
import jnr.ffi.byref.IntByReference;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The glibc functions the {@code Posix*} classes need, bound with jnr-ffi. Internal: use
 * them, they check every return code. Functions returning {@code -1} set errno (saved by
 * jnr-ffi, read with {@code LastError}); the {@code posix_spawn*} functions return the
 * error number instead.
 * <p>
 * This interface is {@code public} only because jnr-ffi generates its implementation in a
 * separate class loader, which cannot implement a package-private interface
 * ({@link IllegalAccessError}); it is not part of the API.
 */
public interface LibC {

	/** {@code getpid(2)}. */
	int getpid();

	/** {@code fcntl(2)} with an int argument (F_GETFD, F_SETFD, F_DUPFD_CLOEXEC). */
	int fcntl(int fd, int cmd, int arg);

	/** {@code dup2(2)}. */
	int dup2(int oldFd, int newFd);

	/** {@code close(2)}. */
	int close(int fd);

	/** {@code fstat(2)}; glibc exports the symbol since 2.33. */
	int fstat(int fd, Pointer statBuffer);

	/**
	 * {@code fstat(2)} as glibc before 2.33 exports it, with {@code _STAT_VER} first.
	 */
	int __fxstat(int version, int fd, Pointer statBuffer);

	/** {@code posix_spawn_file_actions_addclose(3)}. */
	int posix_spawn_file_actions_addclose(Pointer fileActions, int fd);

	/** {@code getsockopt(2)}. */
	int getsockopt(int fd, int level, int option, Pointer value, IntByReference length);

	/** {@code getsockname(2)}. */
	int getsockname(int fd, Pointer address, IntByReference length);

	/** {@code socket(2)}. */
	int socket(int domain, int type, int protocol);

	/** {@code setsockopt(2)}. */
	int setsockopt(int fd, int level, int option, Pointer value, int length);

	/** {@code sendmsg(2)}; {@code message} is a {@code struct msghdr}. */
	@ssize_t
	long sendmsg(int fd, Pointer message, int flags);

	/** {@code socketpair(2)}. */
	int socketpair(int domain, int type, int protocol, @Out int[] fds);

	/** {@code read(2)}. */
	@ssize_t
	long read(int fd, Pointer buffer, @size_t long count);

	/** {@code write(2)}. */
	@ssize_t
	long write(int fd, Pointer buffer, @size_t long count);

	/** {@code send(2)}. */
	@ssize_t
	long send(int fd, Pointer buffer, @size_t long length, int flags);

	/** {@code waitpid(2)}. */
	int waitpid(int pid, IntByReference status, int options);

	/** {@code kill(2)}. */
	int kill(int pid, int signal);

	/** {@code getenv(3)}. */
	String getenv(String name);

	/** {@code unsetenv(3)}. */
	int unsetenv(String name);

	/** {@code gnu_get_libc_version(3)}; missing on non-glibc C libraries. */
	String gnu_get_libc_version();

	/** {@code sigemptyset(3)}. */
	int sigemptyset(Pointer set);

	/** {@code sigfillset(3)}. */
	int sigfillset(Pointer set);

	/**
	 * {@code posix_spawnp(3)}; {@code argv} and {@code envp} are NULL-terminated arrays
	 * of C strings.
	 */
	int posix_spawnp(IntByReference pid, Pointer file, Pointer fileActions, Pointer attributes, Pointer argv,
			Pointer envp);

	/** {@code posix_spawn_file_actions_init(3)}. */
	int posix_spawn_file_actions_init(Pointer fileActions);

	/** {@code posix_spawn_file_actions_destroy(3)}. */
	int posix_spawn_file_actions_destroy(Pointer fileActions);

	/** {@code posix_spawn_file_actions_adddup2(3)}. */
	int posix_spawn_file_actions_adddup2(Pointer fileActions, int fd, int newFd);

	/** {@code posix_spawn_file_actions_addclosefrom_np(3)}; glibc 2.34 and later. */
	int posix_spawn_file_actions_addclosefrom_np(Pointer fileActions, int lowFd);

	/** {@code posix_spawn_file_actions_addchdir_np(3)}; glibc 2.29 and later. */
	int posix_spawn_file_actions_addchdir_np(Pointer fileActions, Pointer path);

	/** {@code posix_spawnattr_init(3)}. */
	int posix_spawnattr_init(Pointer attributes);

	/** {@code posix_spawnattr_destroy(3)}. */
	int posix_spawnattr_destroy(Pointer attributes);

	/** {@code posix_spawnattr_setflags(3)}. */
	int posix_spawnattr_setflags(Pointer attributes, short flags);

	/** {@code posix_spawnattr_setsigmask(3)}. */
	int posix_spawnattr_setsigmask(Pointer attributes, Pointer mask);

	/** {@code posix_spawnattr_setsigdefault(3)}. */
	int posix_spawnattr_setsigdefault(Pointer attributes, Pointer defaults);

	/**
	 * {@code setpriority(2)}: with {@code PRIO_PROCESS} and a thread id, that thread's
	 * nice value.
	 */
	int setpriority(int which, int who, int priority);

}
