package io.zerodowntime.autoconfigure;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

import io.zerodowntime.netty.InheritableHttpServer;
import io.zerodowntime.server.ListenerRegistry;
import io.zerodowntime.server.ListenerRequest;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.boot.web.server.Shutdown;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;
import org.springframework.http.client.ReactorResourceFactory;

/**
 * Makes the Reactor Netty server of a Spring Boot Netty factory take its listening socket
 * from the process's {@link ListenerRegistry} ({@link InheritableHttpServer}), on the NIO
 * event loops of the application's {@link ReactorResourceFactory}. Runs after every other
 * customizer, and its server customizer after theirs, so the loop resources it sets are
 * the ones the server runs on.
 *
 * @since 0.1.0
 */
public class InheritableNettyCustomizer implements WebServerFactoryCustomizer<NettyReactiveWebServerFactory>, Ordered {

	private final String listenerName;

	private final Environment environment;

	private final ListenerRegistry registry;

	private final ObjectProvider<ReactorResourceFactory> resources;

	private final boolean planListeners;

	/**
	 * Create a customizer.
	 * @param listenerName the name of the factory's listener
	 * @param environment the environment, to learn the management port
	 * @param registry the registry the server takes its listening socket from
	 * ({@code Upgrader.listenerRegistry()})
	 * @param resources the application's Reactor resources, if any
	 * @param planListeners whether to announce the listeners to the registry (the main
	 * context does; the management server's listener is announced with the main one)
	 */
	public InheritableNettyCustomizer(String listenerName, Environment environment, ListenerRegistry registry,
			ObjectProvider<ReactorResourceFactory> resources, boolean planListeners) {
		this.listenerName = listenerName;
		this.environment = environment;
		this.registry = registry;
		this.resources = resources;
		this.planListeners = planListeners;
	}

	@Override
	public int getOrder() {
		return Ordered.LOWEST_PRECEDENCE;
	}

	@Override
	public void customize(NettyReactiveWebServerFactory factory) {
		// the factory would otherwise run the server on the resources' default (native)
		// loops after every server customizer; the adapter sets their NIO loops instead
		factory.setResourceFactory(null);
		// the drain is this server's graceful shutdown (zerodowntime.drain-timeout);
		// Boot's
		// would wait again once the server is stopped: its Netty graceful shutdown never
		// reports back when the server is already stopped, so the context would wait out
		// spring.lifecycle.timeout-per-shutdown-phase
		factory.setShutdown(Shutdown.IMMEDIATE);
		InheritableHttpServer adapter = new InheritableHttpServer(this.registry, this.listenerName, () -> {
			ReactorResourceFactory factoryResources = this.resources.getIfAvailable();
			return (factoryResources != null) ? factoryResources.getLoopResources() : null;
		});
		factory.addServerCustomizers(adapter::apply);
		if (this.planListeners) {
			this.registry.plan(requests(factory, this.environment));
		}
	}

	/**
	 * Name every listener the application will start: the main server's ({@code http})
	 * and the management server's on its own port ({@code management}).
	 */
	static List<ListenerRequest> requests(NettyReactiveWebServerFactory factory, Environment environment) {
		List<ListenerRequest> requests = new ArrayList<>();
		requests.add(new ListenerRequest(ListenerPlan.MAIN, factory.getAddress(), Math.max(factory.getPort(), 0)));
		Binder binder = Binder.get(environment);
		Integer managementPort = binder.bind("management.server.port", Integer.class).orElse(null);
		if (managementPort != null && managementPort > 0 && managementPort != factory.getPort()) {
			InetAddress address = binder.bind("management.server.address", InetAddress.class).orElse(null);
			requests.add(new ListenerRequest(ListenerPlan.MANAGEMENT, address, managementPort));
		}
		return requests;
	}

}
