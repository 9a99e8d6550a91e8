package io.zerodowntime;

import java.util.List;

import jnr.constants.platform.Errno;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * The loaded C library ({@link LibC}) and what every {@code Posix*} class needs with it:
 * errno read on the calling thread right after a call, {@code strerror} in English, the
 * constants and the x86_64 glibc struct layouts, native memory and C strings.
 * <p>
 * Only Linux on x86_64 with glibc is supported: the sizes of {@code struct stat},
 * {@code posix_spawnattr_t}, {@code posix_spawn_file_actions_t} and {@code sigset_t} used
 * here were verified for that platform only, and {@link Os#posix()} refuses to load this
 * anywhere else rather than risk corrupting memory.
 */
final class PosixBinding {

	// errno values (Linux, all architectures this could ever run on share them)
	static final int EPERM = 1;

	static final int ESRCH = 3;

	static final int EINTR = 4;

	static final int EBADF = 9;

	static final int ENOSYS = 38;

	static final int ENOTSOCK = 88;

	// x86_64 glibc layouts (measured, see internals.md §2); other architectures are
	// refused in Os.posix()
	static final int STAT_SIZE = 144;

	static final int STAT_MODE_OFFSET = 24;

	static final int SPAWN_FILE_ACTIONS_SIZE = 80;

	static final int SPAWN_ATTRIBUTES_SIZE = 336;

	static final int SIGSET_SIZE = 128;

	static final int SOCKADDR_STORAGE_SIZE = 128;

	static final int UCRED_SIZE = 12;

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

	private PosixBinding(LibC libc) {
		this.libc = libc;
		this.runtime = Runtime.getRuntime(libc);
		if (this.runtime.addressSize() != 8) {
			throw new UnsupportedOperationException("Native process support needs a 64-bit JVM; this one uses "
					+ (this.runtime.addressSize() * 8) + "-bit addresses");
		}
	}

	/** Loads libc; callers check {@link Platform} first. */
	static PosixBinding load() {
		return new PosixBinding(LibraryLoader.create(LibC.class).load("c"));
	}

	LibC libc() {
		return this.libc;
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

}
