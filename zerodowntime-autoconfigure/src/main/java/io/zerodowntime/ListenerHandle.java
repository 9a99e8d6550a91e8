package io.zerodowntime;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;

/**
 * One listening socket this process serves on: the JDK channel to accept from, the
 * address it really listens on (which the channel itself may not report for an adopted
 * socket), the descriptor that is passed to the next generation, and whether it was
 * inherited. Closing it closes only this process's copy: any other holder of the socket
 * (the next generation, systemd) keeps it listening.
 *
 * @since 0.1.0
 */
public final class ListenerHandle {

	private final String name;

	private final ServerSocketChannel channel;

	private final InetSocketAddress localAddress;

	private final int fd;

	private final boolean inherited;

	private final Runnable onClose;

	private volatile boolean closed;

	private volatile DrainTarget drainTarget;

	ListenerHandle(String name, ServerSocketChannel channel, InetSocketAddress localAddress, int fd,
			boolean inherited, Runnable onClose) {
		this.name = name;
		this.channel = channel;
		this.localAddress = localAddress;
		this.fd = fd;
		this.inherited = inherited;
		this.onClose = onClose;
	}

	/**
	 * Return the name this listener is passed under.
	 * @return the name, e.g. {@code http}
	 */
	public String name() {
		return this.name;
	}

	/**
	 * Return the channel to accept connections from.
	 * @return the channel
	 */
	public ServerSocketChannel channel() {
		return this.channel;
	}

	/**
	 * Return the address the socket really listens on.
	 * @return the local address, with the real port
	 */
	public InetSocketAddress localAddress() {
		return this.localAddress;
	}

	/**
	 * Return the descriptor behind the channel, or -1 when it could not be found (then
	 * this listener cannot be passed on).
	 * @return the descriptor
	 */
	public int fd() {
		return this.fd;
	}

	/**
	 * Return whether the socket was passed to this process rather than bound by it.
	 * @return whether it was inherited
	 */
	public boolean inherited() {
		return this.inherited;
	}

	/**
	 * Return whether this process's copy was closed.
	 * @return whether it is closed
	 */
	public boolean isClosed() {
		return this.closed;
	}

	/**
	 * Close this process's copy of the socket. Never shuts the socket down, so any other
	 * holder keeps accepting from it. Idempotent.
	 * @throws IOException if the channel cannot be closed
	 */
	public void close() throws IOException {
		if (this.closed) {
			return;
		}
		this.closed = true;
		try {
			this.channel.close();
		}
		finally {
			this.onClose.run();
		}
	}

	/**
	 * Attach the server that accepts from this listener, so a drain reaches it.
	 * @param drainTarget the server
	 */
	public void attach(DrainTarget drainTarget) {
		this.drainTarget = drainTarget;
	}

	DrainTarget drainTarget() {
		return this.drainTarget;
	}

	@Override
	public String toString() {
		return "'" + this.name + "' on " + Addresses.format(this.localAddress) + " (fd " + this.fd
				+ (this.inherited ? ", inherited)" : ", bound here)");
	}

}
