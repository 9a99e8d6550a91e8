package io.zerodowntime.autoconfigure;

import java.util.List;

import io.zerodowntime.server.UnsupportedServerException;

import org.springframework.boot.web.server.ConfigurableWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.core.Ordered;

/**
 * Stops startup when the application's web server has no adapter, before it starts: its
 * listening sockets would be bound as usual and lost at the first upgrade. Supported are
 * Spring Boot's Tomcat servlet factory, its Jetty factories (servlet and reactive) and
 * its Reactor Netty factory, and anything derived from them.
 */
final class SupportedServerCheck implements WebServerFactoryCustomizer<ConfigurableWebServerFactory>, Ordered {

	static final List<String> SUPPORTED = List.of(
			"org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory",
			"org.springframework.boot.jetty.JettyWebServerFactory",
			"org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory");

	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE;
	}

	@Override
	public void customize(ConfigurableWebServerFactory factory) {
		for (Class<?> type = factory.getClass(); type != null; type = type.getSuperclass()) {
			if (SUPPORTED.contains(type.getName())) {
				return;
			}
		}
		throw new UnsupportedServerException("The web server factory " + factory.getClass().getName()
				+ " is not supported by the zerodowntime starter: its listening sockets would not be handed over to "
				+ "the next generation.",
				"Use embedded Tomcat (spring-boot-starter-tomcat, servlet stack), Jetty (spring-boot-starter-jetty, "
						+ "servlet or reactive stack) or Reactor Netty (spring-boot-starter-webflux), with Spring "
						+ "Boot's own web server factory or a subclass of it, or set zerodowntime.enabled=false.");
	}

}
