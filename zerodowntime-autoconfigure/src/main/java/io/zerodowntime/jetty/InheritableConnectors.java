package io.zerodowntime.jetty;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.EventListener;
import java.util.List;

import io.zerodowntime.server.ListenerRegistry;
import io.zerodowntime.server.ListenerRequest;
import io.zerodowntime.server.UnsupportedServerException;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * Gives every connector of a Jetty {@link Server} its listening socket from the process's
 * {@link ListenerRegistry}: each {@link ServerConnector} is replaced by an
 * {@link InheritableServerConnector} with the same settings and connection factories
 * (HTTP/1.1, TLS, HTTP/2), named {@code http} for the first (Spring Boot's main
 * connector) and {@code http-<port>} for the others unless they are already inheritable
 * and named. A connector that cannot take its socket from the registry stops startup with
 * an {@link UnsupportedServerException} that names it.
 *
 * @since 0.1.0
 */
public final class InheritableConnectors {

	/**
	 * The class Spring Boot's Jetty factory uses for a TLS connector: a plain
	 * {@link ServerConnector} that also checks the key alias when it starts.
	 */
	private static final String BOOT_SSL_CONNECTOR = "org.springframework.boot.jetty.SslServerCustomizer$SslValidatingServerConnector";

	private InheritableConnectors() {
	}

	/**
	 * Replace every connector of the server with an inheritable one that takes its socket
	 * from the registry.
	 * @param server the server, not started
	 * @param registry the registry ({@code Upgrader.listenerRegistry()})
	 * @param mainListenerName the name of the first connector, e.g. {@code http} or
	 * {@code management}
	 * @return what each connector wants, in start order, for
	 * {@link ListenerRegistry#plan(List)}
	 * @throws UnsupportedServerException if a connector cannot be handed over
	 */
	public static List<ListenerRequest> apply(Server server, ListenerRegistry registry, String mainListenerName) {
		Connector[] connectors = server.getConnectors();
		Connector[] replaced = new Connector[connectors.length];
		List<ListenerRequest> requests = new ArrayList<>();
		for (int i = 0; i < connectors.length; i++) {
			InheritableServerConnector connector = inheritable(connectors[i]);
			if (connector != connectors[i] || connector.getListenerName() == null) {
				connector.setListenerName((i == 0) ? mainListenerName : additionalName(connector));
			}
			connector.setListenerRegistry(registry);
			replaced[i] = connector;
			requests.add(request(connector));
		}
		server.setConnectors(replaced);
		limitConnectionsOf(server, replaced);
		return requests;
	}

	/**
	 * Return the listener name of a connector other than the main one.
	 * @param connector the connector
	 * @return {@code http-<port>}
	 */
	static String additionalName(ServerConnector connector) {
		return "http-" + connector.getPort();
	}

	private static ListenerRequest request(InheritableServerConnector connector) {
		try {
			return new ListenerRequest(connector.getListenerName(),
					InheritableServerConnector.hostAddress(connector.getHost()), Math.max(connector.getPort(), 0));
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Unable to resolve the host '" + connector.getHost()
					+ "' of Jetty connector '" + connector.getListenerName() + "': " + ex.getMessage(), ex);
		}
	}

	/**
	 * Return the connector, or an inheritable copy of a plain {@link ServerConnector}.
	 * @param connector a connector of the server
	 * @return an inheritable connector with the same settings
	 * @throws UnsupportedServerException if the connector is of another kind
	 */
	static InheritableServerConnector inheritable(Connector connector) {
		if (connector instanceof InheritableServerConnector inheritable) {
			return inheritable;
		}
		if (!(connector instanceof ServerConnector plain) || (connector.getClass() != ServerConnector.class
				&& !connector.getClass().getName().equals(BOOT_SSL_CONNECTOR))) {
			throw new UnsupportedServerException(
					"The Jetty connector " + connector + " (" + connector.getClass().getName()
							+ ") cannot take its listening socket from the zerodowntime starter, so it would not be "
							+ "handed over to the next generation.",
					"Use org.eclipse.jetty.server.ServerConnector (HTTP/1.1, TLS, HTTP/2 and h2c are supported) or "
							+ InheritableServerConnector.class.getName() + " for every connector, remove this one, "
							+ "or set zerodowntime.enabled=false.");
		}
		if (plain.isInheritChannel()) {
			throw new UnsupportedServerException("The Jetty connector " + connector
					+ " is set to serve on System.inheritedChannel(), which is not handed over to the next generation.",
					"Remove setInheritChannel(true): the starter passes the listening socket itself, or set "
							+ "zerodowntime.enabled=false.");
		}
		Server server = plain.getServer();
		InheritableServerConnector copy = new InheritableServerConnector(server,
				(plain.getExecutor() != server.getThreadPool()) ? plain.getExecutor() : null,
				(plain.getScheduler() != server.getScheduler()) ? plain.getScheduler() : null,
				(plain.getByteBufferPool() != server.getByteBufferPool()) ? plain.getByteBufferPool() : null,
				plain.getAcceptors(), plain.getSelectorManager().getSelectorCount(),
				plain.getConnectionFactories().toArray(new org.eclipse.jetty.server.ConnectionFactory[0]));
		copy.setHost(plain.getHost());
		copy.setPort(plain.getPort());
		copy.setName(plain.getName());
		copy.setDefaultProtocol(plain.getDefaultProtocol());
		copy.setIdleTimeout(plain.getIdleTimeout());
		copy.setShutdownIdleTimeout(plain.getShutdownIdleTimeout());
		copy.setAcceptorPriorityDelta(plain.getAcceptorPriorityDelta());
		copy.setAcceptQueueSize(plain.getAcceptQueueSize());
		copy.setReuseAddress(plain.getReuseAddress());
		copy.setReusePort(plain.isReusePort());
		copy.setAcceptedTcpNoDelay(plain.getAcceptedTcpNoDelay());
		copy.setAcceptedReceiveBufferSize(plain.getAcceptedReceiveBufferSize());
		copy.setAcceptedSendBufferSize(plain.getAcceptedSendBufferSize());
		for (EventListener listener : plain.getEventListeners()) {
			copy.addEventListener(listener);
		}
		return copy;
	}

	/**
	 * Spring Boot adds a connection limit ({@code server.jetty.max-connections}) that
	 * names the connectors it limits; it is made again for the replacements.
	 */
	private static void limitConnectionsOf(Server server, Connector[] after) {
		for (NetworkConnectionLimit limit : server.getBeans(NetworkConnectionLimit.class)) {
			NetworkConnectionLimit replacement = new NetworkConnectionLimit(limit.getMaxNetworkConnectionCount(),
					after);
			replacement.setEndPointIdleTimeout(limit.getEndPointIdleTimeout());
			server.removeBean(limit);
			server.addBean(replacement);
		}
	}

}
