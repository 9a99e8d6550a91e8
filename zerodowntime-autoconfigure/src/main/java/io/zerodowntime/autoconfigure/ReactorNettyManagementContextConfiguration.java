package io.zerodowntime.autoconfigure;

import io.zerodowntime.Upgrader;
import io.zerodowntime.netty.InheritableHttpServer;
import reactor.netty.http.server.HttpServer;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.web.ManagementContextConfiguration;
import org.springframework.boot.actuate.autoconfigure.web.ManagementContextType;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication.Type;
import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.core.env.Environment;
import org.springframework.http.client.ReactorResourceFactory;

/**
 * Covers the Reactor Netty server of the management server when it runs on its own port:
 * it lives in a child context that the main context's customizers do not reach.
 *
 * @since 0.1.0
 */
@ManagementContextConfiguration(value = ManagementContextType.CHILD, proxyBeanMethods = false)
@ConditionalOnWebApplication(type = Type.REACTIVE)
@ConditionalOnClass({ HttpServer.class, NettyReactiveWebServerFactory.class, InheritableHttpServer.class })
@ConditionalOnBooleanProperty("zerodowntime.enabled")
@Conditional(PlatformCondition.Supported.class)
public class ReactorNettyManagementContextConfiguration {

	@Bean
	InheritableNettyCustomizer managementInheritableNettyCustomizer(Upgrader upgrader, Environment environment,
			ObjectProvider<ReactorResourceFactory> resources) {
		return new InheritableNettyCustomizer(ListenerPlan.MANAGEMENT, environment, upgrader.listenerRegistry(),
				resources, false);
	}

}
