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
 *
 * <p>
 * During a new generation's probation it is {@link #suspend suspended}: a standby copy of
 * the socket is made, then the channel is closed (which wakes a blocked accept), so this
 * process keeps the socket without accepting from it; {@link #resume()} makes the standby
 * copy the channel.
 */
final class ListenerHandle implements ServerListener {

	private final String name;

	private volatile ServerSocketChannel channel;

	private final InetSocketAddress localAddress;

	private volatile int fd;

	private final boolean inherited;

	private final Runnable onClose;

	private volatile boolean closed;

	private volatile DrainTarget drainTarget;

	/** The copy kept while suspended; guarded by this. */
	private ListenerSockets.Adopted standby;

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
		ListenerSockets.Adopted kept;
		synchronized (this) {
			if (this.closed) {
				return;
			}
			this.closed = true;
			kept = this.standby;
			this.standby = null;
		}
		try {
			this.channel.close();
			if (kept != null) {
				kept.channel().close();
			}
		}
		finally {
			this.onClose.run();
		}
	}

	/**
	 * Stop accepting from this listener but keep the socket: make a standby copy, then
	 * close the channel, which wakes an acceptor blocked on it (it then waits at the
	 * gate, which the caller has shut). Does nothing if it is closed, already suspended,
	 * or its descriptor is unknown (then it was never passed on, so nobody else accepts
	 * from it).
	 * @param sockets makes the standby copy
	 * @return whether it is suspended now
	 * @throws IOException if the copy cannot be made (then nothing changed)
	 */
	synchronized boolean suspend(ListenerSockets sockets) throws IOException {
		if (this.closed || this.standby != null || this.fd < 0) {
			return this.standby != null;
		}
		this.standby = sockets.duplicate(new ListenerSockets.Adopted(this.channel, this.localAddress, this.fd));
		this.channel.close();
		return true;
	}

	/**
	 * Accept again after {@link #suspend}: the standby copy becomes the channel (and its
	 * descriptor the one passed at the next upgrade). Does nothing if not suspended.
	 * @return whether it was suspended
	 */
	synchronized boolean resume() {
		if (this.standby == null || this.closed) {
			return false;
		}
		this.channel = this.standby.channel();
		this.fd = this.standby.fd();
		this.standby = null;
		return true;
	}

	/**
	 * Return whether this listener is suspended.
	 * @return whether it keeps a standby copy and accepts nothing
	 */
	synchronized boolean suspended() {
		return this.standby != null;
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
