package io.zerodowntime.autoconfigure;

import java.util.ArrayList;
import java.util.List;

import io.zerodowntime.jetty.InheritableConnectors;
import io.zerodowntime.jetty.InheritableServerConnector;
import io.zerodowntime.server.ListenerRegistry;
import io.zerodowntime.server.ListenerRequest;
import org.eclipse.jetty.server.Server;

import org.springframework.boot.jetty.JettyWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;

/**
 * Gives every connector of a Jetty server (servlet or reactive) an
 * {@link InheritableServerConnector} that takes its listening socket from the process's
 * {@link ListenerRegistry}. It adds the last server customizer, so connectors that other
 * customizers add or replace (TLS, HTTP/2, additional ports) are covered too.
 */
final class JettyConnectorCustomizer implements WebServerFactoryCustomizer<JettyWebServerFactory>, Ordered {

	private final String mainListenerName;

	private final Environment environment;

	private final ListenerRegistry registry;

	private final boolean planListeners;

	/**
	 * Create a customizer.
	 * @param mainListenerName the name of the server's first connector
	 * @param environment the environment, to learn the management port
	 * @param registry the registry every connector takes its listening socket from
	 * @param planListeners whether to announce the connectors to the registry (the main
	 * context does; the management context's connector was announced with them)
	 */
	JettyConnectorCustomizer(String mainListenerName, Environment environment, ListenerRegistry registry,
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
	public void customize(JettyWebServerFactory factory) {
		int mainPort = factory.getPort();
		factory.addServerCustomizers((server) -> customize(server, mainPort));
	}

	private void customize(Server server, int mainPort) {
		List<ListenerRequest> requests = new ArrayList<>(
				InheritableConnectors.apply(server, this.registry, this.mainListenerName));
		if (this.planListeners) {
			ListenerRequest management = ListenerPlan.management(this.environment, mainPort);
			if (management != null) {
				requests.add(management);
			}
			this.registry.plan(requests);
		}
	}

}
