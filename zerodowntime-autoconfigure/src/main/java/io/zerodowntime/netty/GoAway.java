package io.zerodowntime.netty;

import java.util.concurrent.TimeUnit;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2PingFrame;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;

/**
 * The GOAWAY of a draining HTTP/2 connection, in two steps (RFC 9113, section 6.8): a
 * first GOAWAY with the largest stream id tells the client to open no more streams on
 * this connection, while the streams it has already sent are still served; a PING goes
 * with it, and once its acknowledgement is back (every stream the client sent before it
 * saw the GOAWAY has arrived), a second GOAWAY names the last stream served and the
 * connection is closed when its streams are done. A single GOAWAY naming the last stream
 * received would refuse the streams the client had sent but the server not yet read: a
 * client that opens all its streams at once loses some of them. Without an
 * acknowledgement within {@link #ACK_WAIT_MILLIS}, the second step comes anyway.
 */
final class GoAway extends ChannelInboundHandlerAdapter {

	/** The name of this handler in the connection's pipeline. */
	static final String NAME = "zerodowntime.goaway";

	/** How long the second GOAWAY waits for the PING's acknowledgement. */
	static final long ACK_WAIT_MILLIS = 5000;

	/** The PING's data: the acknowledgement echoes it. */
	static final long PING = 0x7a65726f646f776eL;

	private final Http2ConnectionHandler http2;

	private ScheduledFuture<?> fallback;

	private GoAway(Http2ConnectionHandler http2) {
		this.http2 = http2;
	}

	/**
	 * Start the GOAWAY of an HTTP/2 connection; on its event loop. An HTTP/1.1
	 * connection, one already closed or one that has had its GOAWAY is left alone.
	 * @param connection the connection
	 */
	static void send(Channel connection) {
		Http2ConnectionHandler http2 = connection.pipeline().get(Http2ConnectionHandler.class);
		if (http2 == null || !connection.isOpen() || http2.connection().goAwaySent()
				|| connection.pipeline().get(NAME) != null) {
			return;
		}
		// wait for the streams as long as the drain lasts; the drain deadline cuts them
		http2.gracefulShutdownTimeoutMillis(-1);
		ChannelHandlerContext codec = connection.pipeline().context(http2);
		GoAway goAway = new GoAway(http2);
		connection.pipeline().addLast(NAME, goAway);
		http2.goAway(codec, Integer.MAX_VALUE, Http2Error.NO_ERROR.code(), Unpooled.EMPTY_BUFFER, codec.newPromise());
		http2.encoder().writePing(codec, false, PING, codec.newPromise());
		codec.flush();
		goAway.fallback = connection.eventLoop()
			.schedule(() -> goAway.close(connection), ACK_WAIT_MILLIS, TimeUnit.MILLISECONDS);
	}

	@Override
	public void channelRead(ChannelHandlerContext ctx, Object msg) {
		if (msg instanceof Http2PingFrame ping && ping.ack() && ping.content() == PING) {
			ReferenceCountUtil.release(msg);
			close(ctx.channel());
			return;
		}
		ctx.fireChannelRead(msg);
	}

	private void close(Channel connection) {
		if (this.fallback != null) {
			this.fallback.cancel(false);
		}
		if (connection.pipeline().get(NAME) == this) {
			connection.pipeline().remove(this);
		}
		if (!connection.isOpen()) {
			return;
		}
		ChannelHandlerContext codec = connection.pipeline().context(this.http2);
		if (codec != null) {
			int last = this.http2.connection().remote().lastStreamCreated();
			this.http2.goAway(codec, last, Http2Error.NO_ERROR.code(), Unpooled.EMPTY_BUFFER, codec.newPromise());
		}
		// closed once its streams are done (Http2ConnectionHandler.close)
		connection.close();
	}

}
