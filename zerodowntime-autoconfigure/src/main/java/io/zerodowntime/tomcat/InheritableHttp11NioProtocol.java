package io.zerodowntime.tomcat;

import java.util.concurrent.TimeUnit;

import io.zerodowntime.server.ListenerRegistry;
import io.zerodowntime.server.ServerListener;
import org.apache.coyote.Adapter;
import org.apache.coyote.UpgradeProtocol;
import org.apache.coyote.http11.Http11NioProtocol;
import org.apache.coyote.http2.Http2Protocol;

/**
 * The HTTP/1.1 NIO protocol, with an {@link InheritableNioEndpoint}: use this class name
 * as the protocol of any Tomcat connector whose listening socket should survive an
 * upgrade. It stays an {@link Http11NioProtocol}, so every customizer written for the
 * stock protocol still applies.
 *
 * <p>
 * The listener name is set with {@code connector.setProperty("listenerName", "admin")}.
 * The registry it takes its socket from is set by the starter
 * ({@code InheritableConnectorCustomizer}) on every connector of the web server factory,
 * additional connectors included; Tomcat creates this class by name, so it cannot be
 * given in a constructor.
 *
 * @since 0.1.0
 */
public class InheritableHttp11NioProtocol extends Http11NioProtocol {

	/**
	 * The HTTP/2 drain timeout given to an {@link Http2Protocol} left at Tomcat's default
	 * (0): how long after its first GOAWAY a draining HTTP/2 connection still serves new
	 * streams, as the Jetty and Reactor Netty adapters wait at most this long for the
	 * acknowledgement of a PING sent after theirs.
	 */
	static final long HTTP2_DRAIN_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(5);

	/**
	 * Create a new protocol handler.
	 */
	public InheritableHttp11NioProtocol() {
		super(new InheritableNioEndpoint());
	}

	/**
	 * Set the name the listener is passed under.
	 * @param listenerName the name, e.g. {@code http}
	 */
	public void setListenerName(String listenerName) {
		endpoint().setListenerName(listenerName);
	}

	/**
	 * Return the name the listener is passed under.
	 * @return the name
	 */
	public String getListenerName() {
		return endpoint().getListenerName();
	}

	/**
	 * Set the registry this connector takes its listening socket from.
	 * @param registry the registry ({@code Upgrader.listenerRegistry()})
	 */
	public void setListenerRegistry(ListenerRegistry registry) {
		endpoint().setListenerRegistry(registry);
	}

	/**
	 * Return the listener this connector accepts from, or {@code null} when it is not
	 * bound.
	 * @return the listener
	 */
	public ServerListener getListener() {
		return endpoint().getListener();
	}

	/**
	 * Add an action to run when this connector's drain reaches its deadline, before the
	 * connections still open are closed: it may end long-lived exchanges properly. The
	 * starter adds one that closes the WebSocket sessions of the application with 1001
	 * (going away). Server-sent-event streams are completed by the connector itself. The
	 * action must not block: the connections it ends get a second to finish.
	 * @param action the action
	 */
	public void addDrainDeadlineAction(Runnable action) {
		endpoint().addDeadlineAction(action);
	}

	/**
	 * Set the adapter, wrapped so that a drain can count the requests being served and
	 * close each connection after the last request read on it.
	 * @param adapter Tomcat's adapter
	 */
	@Override
	public void setAdapter(Adapter adapter) {
		DrainingAdapter draining = new DrainingAdapter(adapter, endpoint());
		endpoint().setDrainingAdapter(draining);
		super.setAdapter(draining);
	}

	/**
	 * Initialise, giving each HTTP/2 upgrade protocol whose drain timeout is Tomcat's
	 * default a drain timeout of 5 s. A draining HTTP/2 connection gets a first GOAWAY
	 * that refuses no stream; Tomcat then refuses, with the final GOAWAY, a stream that
	 * arrives later than the connection's measured round trip plus the drain timeout. On
	 * loopback or a LAN that round trip is well under a millisecond, so without a drain
	 * timeout a request the client sent as the first GOAWAY reached it, or a client on a
	 * loaded host that read the GOAWAY late, is refused (curl 7.88 fails such a request
	 * rather than sending it again). A drain timeout set by the application is kept.
	 * @throws Exception if Tomcat's initialisation fails
	 */
	@Override
	public void init() throws Exception {
		for (UpgradeProtocol upgrade : findUpgradeProtocols()) {
			if (upgrade instanceof Http2Protocol http2 && http2.getDrainTimeout() == 0) {
				http2.setDrainTimeout(HTTP2_DRAIN_TIMEOUT_NANOS);
			}
		}
		super.init();
	}

	InheritableNioEndpoint endpoint() {
		return (InheritableNioEndpoint) getEndpoint();
	}

}
