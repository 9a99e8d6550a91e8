package io.zerodowntime.netty;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.netty.channel.Channel;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.zerodowntime.server.DrainTarget;

/**
 * The Reactor Netty half of a drain, for the connections accepted from one listener.
 * Stopping closes this process's copy of the listener; then an HTTP/1.1 connection gets
 * {@code Connection: close} on the response to the last request read on it
 * ({@link KeepAliveHandler}) and is closed after it, one idle between requests stays open
 * until its next request or the deadline; an HTTP/2 connection gets a GOAWAY and is
 * closed once its streams are done. At the deadline every connection left is closed at
 * once, what nobody read discarded first.
 */
final class ConnectionDrain implements DrainTarget {

	/** How long closing the connections left waits for their event loops. */
	private static final long CLOSE_WAIT_MILLIS = 2000;

	private final InheritedServerChannel server;

	private volatile boolean draining;

	private volatile boolean keepAliveStopped;

	ConnectionDrain(InheritedServerChannel server) {
		this.server = server;
	}

	/**
	 * Return whether each connection is closed after the last request read on it: while
	 * this generation drains, and while keep-alive is stopped for a new generation's
	 * probation.
	 * @return whether connections are being closed
	 */
	boolean closesConnections() {
		return this.draining || this.keepAliveStopped;
	}

	/**
	 * Return whether this generation drains.
	 * @return whether it drains
	 */
	boolean draining() {
		return this.draining;
	}

	@Override
	public void stopAccepting() {
		this.draining = true;
		this.server.stopAccepting();
		for (Channel connection : List.copyOf(this.server.connections())) {
			if (!connection.isRegistered()) {
				// just accepted, not yet with its event loop: not HTTP/2 yet; if it
				// becomes
				// so, its first stream sends the GOAWAY (InheritableHttpServer.observe)
				continue;
			}
			try {
				connection.eventLoop().execute(() -> goAway(connection));
			}
			catch (RejectedExecutionException | IllegalStateException ex) {
				// its event loop is gone, and so is the connection
			}
		}
	}

	/**
	 * Send an HTTP/2 connection a GOAWAY ({@link GoAway}: in two steps, so that no stream
	 * the client has sent is refused): it is closed once the streams it has are done. An
	 * HTTP/1.1 connection is left to {@link KeepAliveHandler}.
	 * @param connection the connection
	 */
	static void goAway(Channel connection) {
		GoAway.send(connection);
	}

	@Override
	public void keepAlive(boolean allowed) {
		this.keepAliveStopped = !allowed;
	}

	@Override
	public int openConnections() {
		this.server.connections().removeIf((connection) -> !connection.isOpen());
		return this.server.connections().size();
	}

	@Override
	public int closeConnections() {
		List<Channel> left = List.copyOf(this.server.connections());
		AtomicInteger cut = new AtomicInteger();
		CountDownLatch closed = new CountDownLatch(left.size());
		for (Channel connection : left) {
			Runnable close = () -> {
				try {
					cut.addAndGet(closeNow(connection));
				}
				finally {
					closed.countDown();
				}
			};
			try {
				if (connection.isRegistered()) {
					connection.eventLoop().execute(close);
				}
				else {
					close.run();
				}
			}
			catch (RejectedExecutionException | IllegalStateException ex) {
				close.run();
			}
		}
		try {
			closed.await(CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		return cut.get();
	}

	/**
	 * Close a connection at once, bypassing its handlers, after discarding what nobody
	 * read.
	 * @param connection the connection
	 * @return how many requests were cut: unanswered, or arrived and unread
	 */
	static int closeNow(Channel connection) {
		if (!connection.isOpen()) {
			return 0;
		}
		int cut = 0;
		Http2ConnectionHandler http2 = connection.pipeline().get(Http2ConnectionHandler.class);
		if (http2 != null) {
			cut = http2.connection().numActiveStreams();
		}
		else if (connection.pipeline().get(KeepAliveHandler.NAME) instanceof KeepAliveHandler keepAlive) {
			cut = keepAlive.pending();
		}
		if (connection instanceof DrainableSocketChannel socket && socket.discardUnread() > 0 && cut == 0) {
			cut = 1;
		}
		if (connection.isRegistered()) {
			connection.unsafe().close(connection.voidPromise());
		}
		else {
			// not yet with its event loop (just accepted): close the socket itself
			connection.unsafe().closeForcibly();
		}
		return cut;
	}

}
