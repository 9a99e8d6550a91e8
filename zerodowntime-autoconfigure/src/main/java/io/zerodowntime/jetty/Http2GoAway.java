package io.zerodowntime.jetty;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.eclipse.jetty.http2.HTTP2Session;
import org.eclipse.jetty.http2.api.Session;
import org.eclipse.jetty.http2.frames.Frame;
import org.eclipse.jetty.http2.frames.GoAwayFrame;
import org.eclipse.jetty.http2.frames.PingFrame;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * The GOAWAY of one draining HTTP/2 session, in two steps (RFC 9113, section 6.8), as the
 * Reactor Netty adapter sends it: a first GOAWAY with the largest stream id tells the
 * client to open no more streams on this connection, while the streams it has already
 * sent are still served; a PING goes with it, and once its acknowledgement is back (every
 * stream the client sent before it saw the GOAWAY has arrived), Jetty's own graceful
 * shutdown of the session sends the GOAWAY naming the last stream and closes the
 * connection when its streams are done. Without an acknowledgement within
 * {@link #ACK_WAIT_MILLIS}, the second step comes anyway.
 *
 * <p>
 * Jetty's shutdown alone sends both GOAWAYs back to back when no stream is open, so a
 * client that sent its next request as they crossed had it refused; curl 7.88 reports
 * such a stream as an error instead of sending it again.
 */
final class Http2GoAway implements HTTP2Session.FrameListener {

	/** How long the second step waits for the PING's acknowledgement. */
	static final long ACK_WAIT_MILLIS = 5000;

	/** How often a session whose preface is not out yet is looked at again. */
	static final long PREFACE_POLL_MILLIS = 50;

	/** The PING's data: the acknowledgement echoes it. */
	static final long PING = 0x7a65726f646f776eL;

	private final HTTP2Session session;

	private final Scheduler scheduler;

	private final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ACK_WAIT_MILLIS);

	private final AtomicBoolean shutDown = new AtomicBoolean();

	private Http2GoAway(HTTP2Session session, Scheduler scheduler) {
		this.session = session;
		this.scheduler = scheduler;
	}

	/**
	 * Start the GOAWAY of a session. The first GOAWAY waits until the server's preface is
	 * out (an HTTP/2 server's first frame must be its SETTINGS); a session whose client
	 * has not sent its preface within {@link #ACK_WAIT_MILLIS} is shut down without it,
	 * and one already closing is left alone.
	 * @param session the session
	 * @param scheduler the connector's scheduler
	 */
	static void send(Session session, Scheduler scheduler) {
		if (session instanceof HTTP2Session http2) {
			new Http2GoAway(http2, scheduler).announce();
		}
		else {
			session.shutdown();
		}
	}

	private void announce() {
		if (this.session.isClosed()) {
			return;
		}
		if (this.session.getBytesWritten() == 0) {
			if (System.nanoTime() - this.deadline < 0) {
				this.scheduler.schedule(this::announce, PREFACE_POLL_MILLIS, TimeUnit.MILLISECONDS);
			}
			else {
				shutdown();
			}
			return;
		}
		this.session.addEventListener(this);
		// Jetty's flusher writes a PING ahead of the frames queued before it: the PING
		// is queued once the GOAWAY is written, so that its acknowledgement means the
		// client has read the GOAWAY
		this.session.frames(null, List.of(GoAwayFrame.GRACEFUL),
				Callback.from(() -> this.session.ping(new PingFrame(PING, false), Callback.NOOP), (failure) -> {
				}));
		this.scheduler.schedule(this::shutdown, ACK_WAIT_MILLIS, TimeUnit.MILLISECONDS);
	}

	@Override
	public void onIncomingFrame(Session session, Frame frame) {
		if (frame instanceof PingFrame ping && ping.isReply() && ping.getPayloadAsLong() == PING) {
			shutdown();
		}
	}

	private void shutdown() {
		if (this.shutDown.compareAndSet(false, true)) {
			this.session.removeEventListener(this);
			this.session.shutdown();
		}
	}

}
