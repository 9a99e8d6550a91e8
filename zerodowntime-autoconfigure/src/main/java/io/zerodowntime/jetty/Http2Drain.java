package io.zerodowntime.jetty;

import java.util.concurrent.TimeUnit;

import org.eclipse.jetty.http2.HTTP2Connection;
import org.eclipse.jetty.http2.SessionContainer;
import org.eclipse.jetty.http2.api.Session;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.util.component.Container;
import org.eclipse.jetty.util.component.Graceful;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * The HTTP/2 half of a Jetty connector's drain: every HTTP/2 session gets a graceful
 * GOAWAY, the streams open on it finish, and the client opens its next streams on a new
 * connection. Apart from {@link InheritableServerConnector} so that Jetty's HTTP/2
 * classes are loaded only where they are on the class path.
 *
 * <p>
 * Jetty's own graceful shutdown of a session sends its final GOAWAY (the last stream it
 * will process) right after the graceful one when the session has no stream open, and
 * shuts down at once every session opened after it started. A connection accepted just
 * before the drain (its TLS handshake still running, say) would then refuse the streams
 * its client sent on connecting. So a session with no stream open, and one opened during
 * the drain, is shut down only {@link #SETTLE_MILLIS} later: streams its client sent by
 * then are answered, and a session with streams open gets the graceful GOAWAY at once.
 */
final class Http2Drain implements Connection.Listener {

	/** How long a session with no stream open is left before it is shut down. */
	static final long SETTLE_MILLIS = 1000;

	private final Scheduler scheduler;

	private volatile boolean draining;

	Http2Drain(Scheduler scheduler) {
		this.scheduler = scheduler;
	}

	/**
	 * Return whether a graceful component of a connection factory is the HTTP/2 session
	 * container this class shuts down instead.
	 * @param graceful a graceful component
	 * @return whether it is left to {@link #start(Iterable)}
	 */
	static boolean handles(Graceful graceful) {
		return graceful instanceof SessionContainer;
	}

	/**
	 * Start: a graceful GOAWAY on every HTTP/2 session of the factories now (with streams
	 * open) or a moment later (without), and on each session opened from now on a moment
	 * after it opens.
	 * @param factories the connector's connection factories
	 */
	void start(Iterable<ConnectionFactory> factories) {
		this.draining = true;
		for (ConnectionFactory factory : factories) {
			if (factory instanceof Container container) {
				for (SessionContainer sessions : container.getContainedBeans(SessionContainer.class)) {
					for (Session session : sessions.getSessions()) {
						goAway(session);
					}
				}
			}
		}
	}

	@Override
	public void onOpened(Connection connection) {
		if (this.draining && connection instanceof HTTP2Connection http2) {
			later(http2.getSession());
		}
	}

	@Override
	public void onClosed(Connection connection) {
	}

	private void goAway(Session session) {
		if (session.getStreams().isEmpty()) {
			later(session);
		}
		else {
			session.shutdown();
		}
	}

	private void later(Session session) {
		this.scheduler.schedule(session::shutdown, SETTLE_MILLIS, TimeUnit.MILLISECONDS);
	}

}
