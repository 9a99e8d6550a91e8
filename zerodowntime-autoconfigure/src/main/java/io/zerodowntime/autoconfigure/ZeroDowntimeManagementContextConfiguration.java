package io.zerodowntime.autoconfigure;

import io.zerodowntime.Upgrader;
import io.zerodowntime.jetty.InheritableServerConnector;
import io.zerodowntime.tomcat.InheritableHttp11NioProtocol;
import org.apache.catalina.startup.Tomcat;
import org.eclipse.jetty.server.Server;

import org.springframework.boot.actuate.autoconfigure.web.ManagementContextConfiguration;
import org.springframework.boot.actuate.autoconfigure.web.ManagementContextType;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication.Type;
import org.springframework.boot.jetty.JettyWebServerFactory;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * Covers the connector of the management server when it runs on its own port: it lives in
 * a child context that the main context's customizers do not reach.
 *
 * @since 0.1.0
 */
@ManagementContextConfiguration(value = ManagementContextType.CHILD, proxyBeanMethods = false)
@ConditionalOnWebApplication
@ConditionalOnBooleanProperty("zerodowntime.enabled")
@Conditional(PlatformCondition.Supported.class)
public class ZeroDowntimeManagementContextConfiguration {

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnWebApplication(type = Type.SERVLET)
	@ConditionalOnClass({ Tomcat.class, TomcatServletWebServerFactory.class, InheritableHttp11NioProtocol.class })
	static class TomcatManagementConfiguration {

		@Bean
		InheritableConnectorCustomizer managementInheritableConnectorCustomizer(Upgrader upgrader,
				Environment environment) {
			return new InheritableConnectorCustomizer(ListenerPlan.MANAGEMENT, environment, upgrader.listenerRegistry(),
					false);
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass({ Server.class, JettyWebServerFactory.class, InheritableServerConnector.class })
	static class JettyManagementConfiguration {

		@Bean
		JettyConnectorCustomizer managementJettyConnectorCustomizer(Upgrader upgrader, Environment environment) {
			return new JettyConnectorCustomizer(ListenerPlan.MANAGEMENT, environment, upgrader.listenerRegistry(),
					false);
		}

	}

}
