package io.zerodowntime;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.unixsocket.UnixDatagramChannel;
import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketOptions;

/**
 * A service manager's end of {@code NOTIFY_SOCKET} for {@link SdNotifyTests}: a
 * Unix-domain datagram socket bound at a path or an abstract address, and the clock it
 * expects {@code MONOTONIC_USEC} from.
 */
final class PosixDatagramReceiver implements Closeable {

	private static final int CLOCK_MONOTONIC = 1;

	private static final int MSG_CMSG_CLOEXEC = 0x40000000;

	private final UnixDatagramChannel channel;

	private PosixDatagramReceiver(UnixDatagramChannel channel) {
		this.channel = channel;
	}

	/**
	 * Bind a receiver that waits at most 5 seconds for a datagram.
	 * @param address a path, or an abstract address starting with NUL
	 * @return the receiver
	 * @throws IOException if it cannot be bound
	 */
	static PosixDatagramReceiver bind(String address) throws IOException {
		UnixDatagramChannel channel = UnixDatagramChannel.open();
		channel.bind(new UnixSocketAddress(address));
		channel.setOption(UnixSocketOptions.SO_RCVTIMEO, 5000);
		return new PosixDatagramReceiver(channel);
	}

	/**
	 * Receive one datagram.
	 * @return its text
	 * @throws IOException if none arrives in time
	 */
	String receive() throws IOException {
		ByteBuffer buffer = ByteBuffer.allocate(4096);
		this.channel.receive(buffer);
		buffer.flip();
		return StandardCharsets.UTF_8.decode(buffer).toString();
	}

	/**
	 * Receive one datagram with the descriptors attached to it ({@code recvmsg(2)} with
	 * room for one {@code SCM_RIGHTS} message of up to 16 descriptors), as the service
	 * manager does.
	 * @return its text and the descriptors received, now open in this process
	 * @throws IOException if none arrives in time
	 */
	Received receiveWithFds() throws IOException {
		Native libc = NativeHolder.LIBC;
		Runtime runtime = Runtime.getRuntime(libc);
		Pointer data = Memory.allocateDirect(runtime, 4096, true);
		Pointer iov = Memory.allocateDirect(runtime, 16, true);
		iov.putPointer(0, data);
		iov.putLong(8, 4096);
		int controlLength = 16 + 4 * 16;
		Pointer control = Memory.allocateDirect(runtime, controlLength, true);
		Pointer header = Memory.allocateDirect(runtime, 56, true);
		header.putPointer(16, iov);
		header.putLong(24, 1);
		header.putPointer(32, control);
		header.putLong(40, controlLength);
		long received = libc.recvmsg(this.channel.getFD(), header, MSG_CMSG_CLOEXEC);
		if (received < 0) {
			throw new IOException("recvmsg failed (errno " + jnr.ffi.LastError.getLastError(runtime) + ")");
		}
		byte[] bytes = new byte[(int) received];
		data.get(0, bytes, 0, bytes.length);
		long usedControl = header.getLong(40);
		List<Integer> fds = new ArrayList<>();
		if (usedControl >= 16 && control.getInt(8) == 1 && control.getInt(12) == 1) {
			long length = control.getLong(0);
			for (long offset = 16; offset + 4 <= length; offset += 4) {
				fds.add(control.getInt(offset));
			}
		}
		return new Received(new String(bytes, StandardCharsets.UTF_8), fds, header.getInt(48));
	}

	/**
	 * A datagram received with its descriptors.
	 *
	 * @param text the datagram
	 * @param fds the descriptors received
	 * @param flags {@code msg_flags} ({@code MSG_CTRUNC} is 8)
	 */
	record Received(String text, List<Integer> fds, int flags) {

		/** Close the received descriptors. */
		void closeFds() {
			fds.forEach(NativeHolder.LIBC::close);
		}

	}

	@Override
	public void close() throws IOException {
		this.channel.close();
	}

	/**
	 * Return {@code CLOCK_MONOTONIC} in microseconds, read with {@code clock_gettime(2)}.
	 * @return the time
	 */
	static long monotonicMicros() {
		Clock clock = ClockHolder.CLOCK;
		Pointer timespec = Memory.allocateDirect(Runtime.getRuntime(clock), 16, true);
		if (clock.clock_gettime(CLOCK_MONOTONIC, timespec) != 0) {
			throw new IllegalStateException("clock_gettime(CLOCK_MONOTONIC) failed");
		}
		return timespec.getLong(0) * 1_000_000 + timespec.getLong(8) / 1000;
	}

	/**
	 * {@code clock_gettime(2)}; public because jnr-ffi implements it in another class
	 * loader.
	 */
	public interface Clock {

		int clock_gettime(int clock, Pointer timespec);

	}

	/**
	 * {@code recvmsg(2)} and {@code close(2)}; public because jnr-ffi implements it in
	 * another class loader.
	 */
	public interface Native {

		long recvmsg(int fd, Pointer message, int flags);

		int close(int fd);

	}

	private static final class NativeHolder {

		static final Native LIBC = LibraryLoader.create(Native.class).load("c");

	}

	private static final class ClockHolder {

		static final Clock CLOCK = LibraryLoader.create(Clock.class).load("c");

	}

}
