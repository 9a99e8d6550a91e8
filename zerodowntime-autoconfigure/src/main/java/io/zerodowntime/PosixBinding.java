package io.zerodowntime;

import java.util.List;
import java.util.Locale;
import java.util.Map;

import jnr.constants.platform.Errno;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * The loaded C library ({@link LibC}) and what every {@code Posix*} class needs with it:
 * errno read on the calling thread right after a call, {@code strerror} in English, the
 * constants and the glibc struct layouts of this processor ({@link Layout}), native
 * memory and C strings.
 * <p>
 * Linux with glibc on x86_64 and aarch64: every size, offset and constant here was
 * measured on both with a C program compiled for each ({@code layout.c} beside the
 * platform checks, see docs/platforms.md). The ones that are the same on both are plain
 * constants; the ones that differ are in {@link Layout}. {@link Os#posix()} refuses to
 * load this anywhere else rather than risk corrupting memory.
 */
final class PosixBinding {

	// errno values (Linux, all architectures this could ever run on share them)
	static final int EPERM = 1;

	static final int ESRCH = 3;

	static final int EINTR = 4;

	static final int EBADF = 9;

	static final int ENOSYS = 38;

	static final int ENOTSOCK = 88;

	// glibc layouts, the same on x86_64 and aarch64 (measured, see Layout for the ones
	// that differ)
	static final int SPAWN_FILE_ACTIONS_SIZE = 80;

	static final int SPAWN_ATTRIBUTES_SIZE = 336;

	static final int SIGSET_SIZE = 128;

	static final int SOCKADDR_STORAGE_SIZE = 128;

	static final int UCRED_SIZE = 12;

	// the socket structs of sendmsg(2), the same on every 64-bit Linux: struct msghdr
	// (msg_name, msg_namelen, msg_iov, msg_iovlen, msg_control, msg_controllen,
	// msg_flags), struct iovec, struct cmsghdr (cmsg_len, cmsg_level, cmsg_type, data)
	// and struct sockaddr_un (sun_family, sun_path[108])
	static final int MSGHDR_SIZE = 56;

	static final int MSGHDR_NAME = 0;

	static final int MSGHDR_NAMELEN = 8;

	static final int MSGHDR_IOV = 16;

	static final int MSGHDR_IOVLEN = 24;

	static final int MSGHDR_CONTROL = 32;

	static final int MSGHDR_CONTROLLEN = 40;

	static final int IOVEC_SIZE = 16;

	static final int CMSGHDR_SIZE = 16;

	static final int SOCKADDR_UN_SIZE = 110;

	static final int SUN_PATH_OFFSET = 2;

	static final int TIMEVAL_SIZE = 16;

	static final int S_IFMT = 0170000;

	static final int S_IFSOCK = 0140000;

	static final int S_IFLNK = 0120000;

	static final int S_IFREG = 0100000;

	static final int S_IFBLK = 0060000;

	static final int S_IFDIR = 0040000;

	static final int S_IFCHR = 0020000;

	static final int S_IFIFO = 0010000;

	private final LibC libc;

	private final Runtime runtime;

	private final Layout layout;

	private volatile boolean fstatMissing;

	PosixBinding(LibC libc, Runtime runtime, Layout layout) {
		this.libc = libc;
		this.runtime = runtime;
		this.layout = layout;
		if (this.runtime.addressSize() != 8) {
			throw new UnsupportedOperationException("Native process support needs a 64-bit JVM; this one uses "
					+ (this.runtime.addressSize() * 8) + "-bit addresses");
		}
	}

	/** Loads libc; callers check {@link Platform} first. */
	static PosixBinding load() {
		String arch = System.getProperty("os.arch", "");
		Layout layout = Layout.of(arch);
		if (layout == null) {
			throw new UnsupportedOperationException("Native process support has no struct layouts for " + arch);
		}
		LibC libc = LibraryLoader.create(LibC.class).load("c");
		return new PosixBinding(libc, Runtime.getRuntime(libc), layout);
	}

	LibC libc() {
		return this.libc;
	}

	Layout layout() {
		return this.layout;
	}

	/**
	 * {@code fstat(2)} into {@code buffer} ({@link Layout#statSize()} bytes): the
	 * {@code fstat} symbol, exported by glibc since 2.33, or {@code __fxstat} with this
	 * processor's {@code _STAT_VER} before that.
	 * @return 0, or -1 with errno set
	 */
	int fstat(int fd, Pointer buffer) {
		if (!this.fstatMissing) {
			try {
				return this.libc.fstat(fd, buffer);
			}
			catch (UnsatisfiedLinkError ex) {
				this.fstatMissing = true;
			}
		}
		return this.libc.__fxstat(this.layout.statVersion(), fd, buffer);
	}

	/** The errno of the last failed call on this thread. */
	int errno() {
		return LastError.getLastError(this.runtime);
	}

	/** Zeroed native memory of {@code size} bytes, freed when unreachable. */
	Pointer allocate(long size) {
		return Memory.allocateDirect(this.runtime, size, true);
	}

	/** Native memory of {@code size} bytes, not cleared. */
	Pointer allocateUncleared(int size) {
		return Memory.allocateDirect(this.runtime, size, false);
	}

	/**
	 * A C string of {@code value}, which is in byte form ({@link ByteStrings}): each char
	 * is one byte.
	 */
	Pointer cString(String value, List<Pointer> keepAlive) {
		if (value.indexOf('\0') >= 0) {
			throw new IllegalArgumentException("NUL character in '" + value.replace('\0', '?') + "'");
		}
		byte[] bytes = ByteStrings.toBytes(value);
		Pointer pointer = allocate(bytes.length + 1);
		pointer.put(0, bytes, 0, bytes.length);
		keepAlive.add(pointer);
		return pointer;
	}

	/** A NULL-terminated char*[] of {@code values}. */
	Pointer cStringArray(List<String> values, List<Pointer> keepAlive) {
		int slot = this.runtime.addressSize();
		Pointer array = allocate((long) (values.size() + 1) * slot);
		for (int i = 0; i < values.size(); i++) {
			array.putPointer((long) i * slot, cString(values.get(i), keepAlive));
		}
		array.putAddress((long) values.size() * slot, 0L);
		keepAlive.add(array);
		return array;
	}

	/**
	 * A failure of {@code action} with the errno of the last failed call on this thread.
	 */
	NativeException failure(String action) {
		return failure(action, errno());
	}

	static NativeException failure(String action, int errno) {
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

	/** {@code gnu_get_libc_version()}, or why it is unknown. */
	String glibcVersion() {
		try {
			return this.libc.gnu_get_libc_version();
		}
		catch (UnsatisfiedLinkError ex) {
			return "unknown, perhaps not glibc";
		}
	}

	/**
	 * The glibc struct layouts and numbers that differ between the supported processors,
	 * measured with {@code layout.c} (sizeof, offsetof, the headers' macros) compiled for
	 * each. Everything else this binding uses (the {@code posix_spawn} types, sigset_t,
	 * sockaddr_storage, ucred, fcntl, socket, signal and errno numbers) is the same on
	 * both.
	 *
	 * @param arch the processor, as glibc names it
	 * @param statSize {@code sizeof(struct stat)}
	 * @param statModeOffset {@code offsetof(struct stat, st_mode)}
	 * @param statVersion {@code _STAT_VER}, the first argument of {@code __fxstat} in
	 * glibc before 2.33
	 */
	record Layout(String arch, int statSize, int statModeOffset, int statVersion) {

		static final Layout X86_64 = new Layout("x86_64", 144, 24, 1);

		static final Layout AARCH64 = new Layout("aarch64", 128, 16, 0);

		private static final Map<String, Layout> BY_OS_ARCH = Map.of("amd64", X86_64, "x86_64", X86_64, "aarch64",
				AARCH64, "arm64", AARCH64);

		/**
		 * The layout for an {@code os.arch} value, or {@code null} where none was
		 * measured.
		 */
		static Layout of(String osArch) {
			return BY_OS_ARCH.get(osArch.toLowerCase(Locale.ROOT));
		}

	}

}
