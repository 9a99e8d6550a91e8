package io.zerodowntime.tomcat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

import org.apache.tomcat.util.net.AbstractEndpoint;
import org.apache.tomcat.util.net.NioChannel;
import org.apache.tomcat.util.net.SocketEvent;
import org.apache.tomcat.util.net.SocketWrapperBase;

/**
 * Tomcat's connection handler, plus one step before a connection is closed while the
 * endpoint drains: the bytes the client sent that were never read (a request pipelined
 * after the one answered with {@code Connection: close}) are read and discarded first.
 * Closing a TCP socket with unread data sends a reset, which can make the client drop the
 * last response before it reads it; discarded, the close is a plain FIN and the client
 * sends the unanswered requests again on a new connection.
 */
final class DiscardingHandler implements AbstractEndpoint.Handler<NioChannel> {

	private final AbstractEndpoint.Handler<NioChannel> delegate;

	private final InheritableNioEndpoint endpoint;

	DiscardingHandler(AbstractEndpoint.Handler<NioChannel> delegate, InheritableNioEndpoint endpoint) {
		this.delegate = delegate;
		this.endpoint = endpoint;
	}

	@Override
	public SocketState process(SocketWrapperBase<NioChannel> socket, SocketEvent status) {
		return this.delegate.process(socket, status);
	}

	@Override
	public Object getGlobal() {
		return this.delegate.getGlobal();
	}

	@Override
	public void release(SocketWrapperBase<NioChannel> socketWrapper) {
		this.delegate.release(socketWrapper);
		if (this.endpoint.closesConnections()) {
			NioChannel socket = socketWrapper.getSocket();
			if (socket != null) {
				discardUnread(socket.getIOChannel());
			}
		}
	}

	/**
	 * Read and drop what the client sent and nobody read, without waiting for more.
	 * @param channel a non-blocking socket channel, or {@code null}
	 * @return how many bytes were dropped
	 */
	static int discardUnread(SocketChannel channel) {
		if (channel == null || !channel.isOpen() || channel.isBlocking()) {
			return 0;
		}
		ByteBuffer scratch = ByteBuffer.allocate(8192);
		int dropped = 0;
		try {
			int read;
			while ((read = channel.read(scratch)) > 0) {
				dropped += read;
				scratch.clear();
			}
		}
		catch (IOException ex) {
			// closing anyway
		}
		return dropped;
	}

	@Override
	public void pause() {
		this.delegate.pause();
	}

	@Override
	public void recycle() {
		this.delegate.recycle();
	}

}
