package io.zerodowntime.netty;

import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;
import java.util.Deque;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

/**
 * Ends keep-alive on an HTTP/1.1 connection without losing a request, while its
 * generation drains (or, reversibly, during a new generation's probation): the response
 * to the last request read carries {@code Connection: close}, the connection is closed
 * after it, and nothing after that request is read. Requests read before it (pipelined)
 * are answered with keep-alive as usual. Sits between Netty's HTTP codec and Reactor
 * Netty's traffic handler, so it sees every request decoded and every response written.
 * Runs on the connection's event loop only; {@link #pending()} may be read from any
 * thread.
 */
final class KeepAliveHandler extends ChannelDuplexHandler {

	static final String NAME = "zerodowntime.keepAlive";

	private final InheritedServerChannel server;

	/** Requests read and not yet answered completely. */
	private volatile int pending;

	/** Whether the response being written is the last one on this connection. */
	private boolean closing;

	/** Whether the response being written is an interim (1xx) one. */
	private boolean informational;

	/** Whether a batch of input is being decoded: more requests may follow in it. */
	private boolean reading;

	/**
	 * Writes held until the batch of input being decoded is done, when the connection is
	 * being closed: whether the response is the last one depends on what follows.
	 */
	private final Deque<Held> held = new ArrayDeque<>();

	private boolean flushHeld;

	/**
	 * Create the handler.
	 * @param server the listening channel, which says whether connections are being
	 * closed
	 * @param pending requests already read when the handler is added
	 */
	KeepAliveHandler(InheritedServerChannel server, int pending) {
		this.server = server;
		this.pending = pending;
	}

	/**
	 * Return how many requests were read and not answered completely.
	 * @return the number of requests
	 */
	int pending() {
		return this.pending;
	}

	@Override
	public void channelRead(ChannelHandlerContext ctx, Object msg) {
		if (this.closing) {
			// the response to the last request read says Connection: close: read nothing
			// more
			ReferenceCountUtil.release(msg);
			return;
		}
		if (msg instanceof HttpRequest) {
			this.pending++;
		}
		this.reading = true;
		ctx.fireChannelRead(msg);
	}

	@Override
	public void channelReadComplete(ChannelHandlerContext ctx) {
		this.reading = false;
		if (!this.held.isEmpty()) {
			Held next;
			while ((next = this.held.poll()) != null) {
				doWrite(ctx, next.msg(), next.promise());
			}
			if (this.flushHeld) {
				this.flushHeld = false;
				ctx.flush();
			}
		}
		ctx.fireChannelReadComplete();
	}

	@Override
	public void flush(ChannelHandlerContext ctx) {
		if (!this.held.isEmpty()) {
			this.flushHeld = true;
			return;
		}
		ctx.flush();
	}

	@Override
	public void channelInactive(ChannelHandlerContext ctx) {
		releaseHeld();
		ctx.fireChannelInactive();
	}

	@Override
	public void handlerRemoved(ChannelHandlerContext ctx) {
		releaseHeld();
	}

	private void releaseHeld() {
		Held next;
		while ((next = this.held.poll()) != null) {
			ReferenceCountUtil.release(next.msg());
			next.promise().tryFailure(new ClosedChannelException());
		}
	}

	@Override
	public void read(ChannelHandlerContext ctx) {
		if (!this.closing) {
			ctx.read();
		}
	}

	@Override
	public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
		if (!this.held.isEmpty() || (this.reading && msg instanceof HttpResponse
				&& this.server.drain().closesConnections() && this.pending <= 1)) {
			// answered while the input is being decoded: a request pipelined behind it
			// may
			// follow, and then this one is not the last
			this.held.add(new Held(msg, promise));
			return;
		}
		doWrite(ctx, msg, promise);
	}

	private void doWrite(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
		if (msg instanceof HttpResponse response) {
			this.informational = response.status().codeClass() == HttpStatusClass.INFORMATIONAL;
			if (!this.informational && this.pending <= 1 && this.server.drain().closesConnections()) {
				HttpUtil.setKeepAlive(response, false);
				this.closing = true;
			}
		}
		if (!(msg instanceof LastHttpContent) || this.informational) {
			ctx.write(msg, promise);
			return;
		}
		if (!this.closing && this.pending <= 1 && this.server.drain().closesConnections()) {
			// the response started before the drain: close after it all the same
			this.closing = true;
		}
		this.pending = Math.max(0, this.pending - 1);
		if (this.closing || (msg instanceof HttpResponse response && !HttpUtil.isKeepAlive(response))) {
			this.closing = true;
			ctx.write(msg, promise.unvoid()).addListener(ChannelFutureListener.CLOSE);
			return;
		}
		ctx.write(msg, promise);
	}

	/** A write held until the input being decoded is done. */
	private record Held(Object msg, ChannelPromise promise) {

	}

}
