package io.zerodowntime.jetty;

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
 * GOAWAY ({@link Http2GoAway}), the streams open on it finish, and the client opens its
 * next streams on a new connection. A session opened during the drain (its connection
 * accepted just before, its TLS handshake still running, say) gets its GOAWAY once its
 * preface is out, so the streams its client sent on connecting are answered. Apart from
 * {@link InheritableServerConnector} so that Jetty's HTTP/2 classes are loaded only where
 * they are on the class path.
 */
final class Http2Drain implements Connection.Listener {

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
	 * Start: a GOAWAY on every HTTP/2 session of the factories, and on each session
	 * opened from now on.
	 * @param factories the connector's connection factories
	 */
	void start(Iterable<ConnectionFactory> factories) {
		this.draining = true;
		for (ConnectionFactory factory : factories) {
			if (factory instanceof Container container) {
				for (SessionContainer sessions : container.getContainedBeans(SessionContainer.class)) {
					for (Session session : sessions.getSessions()) {
						Http2GoAway.send(session, this.scheduler);
					}
				}
			}
		}
	}

	@Override
	public void onOpened(Connection connection) {
		if (this.draining && connection instanceof HTTP2Connection http2) {
			Http2GoAway.send(http2.getSession(), this.scheduler);
		}
	}

	@Override
	public void onClosed(Connection connection) {
	}

}
