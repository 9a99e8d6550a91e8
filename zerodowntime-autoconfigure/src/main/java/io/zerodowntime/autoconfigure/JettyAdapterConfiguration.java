package io.zerodowntime.autoconfigure;

import io.zerodowntime.Upgrader;
import io.zerodowntime.jetty.InheritableServerConnector;
import org.eclipse.jetty.server.Server;

import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.jetty.JettyWebServerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * The Jetty adapter's glue: every connector of Spring Boot's Jetty server (servlet or
 * reactive) becomes an {@link InheritableServerConnector} that takes its listening socket
 * from the upgrader's listener registry. Imported by
 * {@link ZeroDowntimeAutoConfiguration}.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnClass({ Server.class, JettyWebServerFactory.class, InheritableServerConnector.class })
@Conditional(PlatformCondition.Supported.class)
class JettyAdapterConfiguration {

	@Bean
	JettyConnectorCustomizer zeroDowntimeJettyConnectorCustomizer(Upgrader upgrader, Environment environment) {
		return new JettyConnectorCustomizer(ListenerPlan.MAIN, environment, upgrader.listenerRegistry(), true);
	}

}
