package io.zerodowntime.sample.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.unixsocket.UnixDatagramChannel;
import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketOptions;

/**
 * systemd's notification socket, for a test: a datagram socket at an abstract address
 * that records every message with the sender's pid from {@code SCM_CREDENTIALS}.
 */
public final class NotifySocket implements AutoCloseable {

	private static final int SOL_SOCKET = 1;

	private static final int SO_PASSCRED = 16;

	private static final int SCM_CREDENTIALS = 2;

	private static final int BUFFER = 4096;

	private static final int CONTROL = 256;

	private static final int SCM_RIGHTS = 1;

	private final String name;

	private final UnixDatagramChannel channel;

	private final LibC libc;

	private final Runtime runtime;

	private final List<Message> all = new CopyOnWriteArrayList<>();

	/** How many of {@link #all} {@link #next} and {@link #quietFor} have taken. */
	private volatile int taken;

	private final Thread reader;

	private NotifySocket(String name) throws IOException {
		this.name = name;
		this.channel = UnixDatagramChannel.open();
		this.channel.bind(new UnixSocketAddress("\0" + name));
		// the reader sees whether it was interrupted at least every 200 ms
		this.channel.setOption(UnixSocketOptions.SO_RCVTIMEO, 200);
		this.libc = LibraryLoader.create(LibC.class).load("c");
		this.runtime = Runtime.getRuntime(this.libc);
		Pointer one = Memory.allocateDirect(this.runtime, 4, true);
		one.putInt(0, 1);
		if (this.libc.setsockopt(this.channel.getFD(), SOL_SOCKET, SO_PASSCRED, one, 4) != 0) {
			throw new IOException("setsockopt(SO_PASSCRED) failed: errno " + LastError.getLastError(this.runtime));
		}
		this.reader = new Thread(this::read, "notify-socket-" + name);
		this.reader.setDaemon(true);
		this.reader.start();
	}

	/** Bind a new socket at a fresh abstract address. */
	static NotifySocket bind() {
		return AppUnderTest.io(() -> new NotifySocket("zerodowntime-it-" + UUID.randomUUID()));
	}

	/** Return the value for {@code NOTIFY_SOCKET}. */
	String address() {
		return "@" + this.name;
	}

	/** Take the next message not taken yet, waiting for it. */
	Message next(Duration timeout) {
		AppUnderTest.await("a notification", timeout, () -> this.all.size() > this.taken,
				() -> "No notification within " + timeout + "; received so far: " + received());
		return this.all.get(this.taken++);
	}

	/** Take the messages not taken yet once a period is over. */
	List<Message> quietFor(Duration period) {
		AppUnderTest.sleep(period.toMillis());
		List<Message> received = received();
		List<Message> left = received.subList(this.taken, received.size());
		this.taken = received.size();
		return left;
	}

	/** Return every message received so far, taken or not. */
	List<Message> received() {
		return List.copyOf(this.all);
	}

	@Override
	public void close() {
		this.reader.interrupt();
		try {
			this.reader.join(2000);
			this.channel.close();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private void read() {
		int fd = this.channel.getFD();
		Pointer buffer = Memory.allocateDirect(this.runtime, BUFFER, true);
		Pointer control = Memory.allocateDirect(this.runtime, CONTROL, true);
		Pointer iov = Memory.allocateDirect(this.runtime, 16, true);
		Pointer header = Memory.allocateDirect(this.runtime, 56, true);
		iov.putAddress(0, buffer.address());
		iov.putLong(8, BUFFER);
		header.putAddress(16, iov.address());
		header.putLong(24, 1);
		header.putAddress(32, control.address());
		while (!Thread.currentThread().isInterrupted()) {
			// recvmsg sets the length of the control messages received
			header.putLong(40, CONTROL);
			long length = this.libc.recvmsg(fd, header, 0);
			if (length < 0) {
				// timed out (SO_RCVTIMEO) or interrupted
				continue;
			}
			long pid = -1;
			int fds = 0;
			long controlLength = header.getLong(40);
			// every control message: the credentials, and the descriptors passed with
			// FDSTORE=1 (counted, then closed: this receiver keeps none)
			long offset = 0;
			while (offset + 16 <= controlLength) {
				long cmsgLength = control.getLong(offset);
				if (cmsgLength < 16) {
					break;
				}
				int level = control.getInt(offset + 8);
				int type = control.getInt(offset + 12);
				if (level == SOL_SOCKET && type == SCM_CREDENTIALS && cmsgLength >= 16 + 12) {
					pid = control.getInt(offset + 16);
				}
				else if (level == SOL_SOCKET && type == SCM_RIGHTS) {
					for (long at = offset + 16; at + 4 <= offset + cmsgLength; at += 4) {
						this.libc.close(control.getInt(at));
						fds++;
					}
				}
				offset += (cmsgLength + 7) & ~7L;
			}
			byte[] bytes = new byte[(int) length];
			buffer.get(0, bytes, 0, bytes.length);
			Message message = new Message(pid, new String(bytes, StandardCharsets.UTF_8), fds);
			System.out.println("[notify-socket] from pid " + pid + ": " + message.text().replace("\n", "\\n")
					+ ((fds > 0) ? " with " + fds + " fd(s)" : ""));
			this.all.add(message);
		}
	}

	/** One notification: the sender's pid, the datagram, how many fds came with it. */
	record Message(long pid, String text, int fds) {

		List<String> lines() {
			return Arrays.asList(this.text.split("\n"));
		}

		/** Return the value of the first assignment of a variable. */
		String value(String key) {
			for (String line : lines()) {
				if (line.startsWith(key + "=")) {
					return line.substring(key.length() + 1);
				}
			}
			return null;
		}

	}

	/** The few libc calls a notification receiver needs. */
	public interface LibC {

		int setsockopt(int fd, int level, int option, Pointer value, int length);

		long recvmsg(int fd, Pointer header, int flags);

		int close(int fd);

	}

}
