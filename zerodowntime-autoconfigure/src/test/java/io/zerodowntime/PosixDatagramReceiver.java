package io.zerodowntime;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

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

	private static final class ClockHolder {

		static final Clock CLOCK = LibraryLoader.create(Clock.class).load("c");

	}

}
