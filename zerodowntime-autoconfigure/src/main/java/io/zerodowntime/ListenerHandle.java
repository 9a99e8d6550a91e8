package io.zerodowntime;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;

import io.zerodowntime.server.DrainTarget;
import io.zerodowntime.server.ServerListener;

/**
 * One listening socket this process serves on: the JDK channel to accept from, the
 * address it really listens on (which the channel itself may not report for an adopted
 * socket), the descriptor that is passed to the next generation, and whether it was
 * inherited. Closing it closes only this process's copy: any other holder of the socket
 * (the next generation, systemd) keeps it listening.
 */
final class ListenerHandle implements ServerListener {

	private final String name;

	private final ServerSocketChannel channel;

	private final InetSocketAddress localAddress;

	private final int fd;

	private final boolean inherited;

	private final Runnable onClose;

	private volatile boolean closed;

	private volatile DrainTarget drainTarget;

	ListenerHandle(String name, ServerSocketChannel channel, InetSocketAddress localAddress, int fd, boolean inherited,
			Runnable onClose) {
		this.name = name;
		this.channel = channel;
		this.localAddress = localAddress;
		this.fd = fd;
		this.inherited = inherited;
		this.onClose = onClose;
	}

	@Override
	public String name() {
		return this.name;
	}

	@Override
	public ServerSocketChannel channel() {
		return this.channel;
	}

	@Override
	public InetSocketAddress localAddress() {
		return this.localAddress;
	}

	/**
	 * Return the descriptor behind the channel, or -1 when it could not be found (then
	 * this listener cannot be passed on).
	 * @return the descriptor
	 */
	int fd() {
		return this.fd;
	}

	@Override
	public boolean inherited() {
		return this.inherited;
	}

	@Override
	public boolean isClosed() {
		return this.closed;
	}

	@Override
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

	@Override
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
