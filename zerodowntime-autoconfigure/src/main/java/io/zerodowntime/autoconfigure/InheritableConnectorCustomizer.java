package io.zerodowntime.autoconfigure;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import io.zerodowntime.server.ListenerRegistry;
import io.zerodowntime.server.UnsupportedServerException;
import io.zerodowntime.tomcat.InheritableHttp11NioProtocol;
import org.apache.catalina.Context;
import org.apache.catalina.connector.Connector;
import org.apache.coyote.http11.Http11NioProtocol;

import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;
import org.springframework.util.ClassUtils;

/**
 * Gives every connector of a Tomcat factory an {@link InheritableHttp11NioProtocol} that
 * takes its listening socket from the process's {@link ListenerRegistry}. Runs after
 * every other customizer, so connectors they add are covered too. At the drain deadline,
 * each connector closes the application's WebSocket sessions with 1001 (going away)
 * before it closes the connections left.
 *
 * @since 0.1.0
 */
public class InheritableConnectorCustomizer
		implements WebServerFactoryCustomizer<TomcatServletWebServerFactory>, Ordered {

	private final String mainListenerName;

	private final Environment environment;

	private final ListenerRegistry registry;

	private final boolean planListeners;

	private static final String SERVER_CONTAINER = "jakarta.websocket.server.ServerContainer";

	private static final boolean WEBSOCKET_PRESENT = ClassUtils.isPresent(
			"org.apache.tomcat.websocket.WsWebSocketContainer", InheritableConnectorCustomizer.class.getClassLoader());

	private final List<Context> contexts = new CopyOnWriteArrayList<>();

	private final AtomicBoolean webSocketsClosed = new AtomicBoolean();

	/**
	 * Create a customizer.
	 * @param mainListenerName the name of the factory's main connector
	 * @param environment the environment, to learn the management port
	 * @param registry the registry every connector takes its listening socket from
	 * ({@code Upgrader.listenerRegistry()})
	 * @param planListeners whether to announce the connectors to the registry (the main
	 * context does; the management context's connector was announced with them)
	 */
	public InheritableConnectorCustomizer(String mainListenerName, Environment environment, ListenerRegistry registry,
			boolean planListeners) {
		this.mainListenerName = mainListenerName;
		this.environment = environment;
		this.registry = registry;
		this.planListeners = planListeners;
	}

	@Override
	public int getOrder() {
		return Ordered.LOWEST_PRECEDENCE;
	}

	@Override
	public void customize(TomcatServletWebServerFactory factory) {
		String protocol = factory.getProtocol();
		if (!Http11NioProtocol.class.getName().equals(protocol) && !"HTTP/1.1".equals(protocol)
				&& !InheritableHttp11NioProtocol.class.getName().equals(protocol)) {
			throw new UnsupportedServerException(
					"The main Tomcat connector uses the protocol '" + protocol
							+ "', whose listening socket cannot be handed over to the next generation.",
					"zerodowntime.enabled=true supports Tomcat's HTTP/1.1 NIO protocol (the default; TLS and HTTP/2 "
							+ "included), not APR or NIO2: remove the custom protocol, or set "
							+ "zerodowntime.enabled=false.");
		}
		factory.setProtocol(InheritableHttp11NioProtocol.class.getName());
		factory.addConnectorCustomizers(this::customizeMainConnector);
		factory.addContextCustomizers(this.contexts::add);
		List<Connector> additional = factory.getAdditionalConnectors()
			.stream()
			.map(AdditionalConnectors::inheritable)
			.toList();
		for (Connector connector : additional) {
			InheritableHttp11NioProtocol inheritable = (InheritableHttp11NioProtocol) connector.getProtocolHandler();
			inheritable.setListenerRegistry(this.registry);
			inheritable.addDrainDeadlineAction(this::closeWebSocketSessions);
		}
		factory.setAdditionalConnectors(additional);
		if (this.planListeners) {
			this.registry.plan(ListenerPlan.requests(factory, this.environment));
		}
	}

	private void customizeMainConnector(Connector connector) {
		if (connector.getProtocolHandler() instanceof InheritableHttp11NioProtocol protocol) {
			protocol.setListenerName(this.mainListenerName);
			protocol.setListenerRegistry(this.registry);
			protocol.addDrainDeadlineAction(this::closeWebSocketSessions);
		}
	}

	/**
	 * The drain deadline: close every WebSocket session of the application with 1001
	 * (going away), as Tomcat does when the application stops, while the connections are
	 * still open to carry the close frames. Once, whichever connector asks first.
	 */
	private void closeWebSocketSessions() {
		if (!WEBSOCKET_PRESENT || !this.webSocketsClosed.compareAndSet(false, true)) {
			return;
		}
		for (Context context : this.contexts) {
			WebSockets.close(context.getServletContext().getAttribute(SERVER_CONTAINER));
		}
	}

	/** Loaded only when Tomcat's WebSocket support is on the class path. */
	private static final class WebSockets {

		static void close(Object container) {
			if (container instanceof org.apache.tomcat.websocket.WsWebSocketContainer webSockets) {
				webSockets.destroy();
			}
		}

	}

}
