package io.zerodowntime.autoconfigure;

import io.zerodowntime.Upgrader;
import io.zerodowntime.netty.InheritableHttpServer;
import reactor.netty.http.server.HttpServer;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication.Type;
import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.http.client.ReactorResourceFactory;

/**
 * The Reactor Netty glue: a reactive web application on Spring Boot's Netty server takes
 * its listening socket from the upgrader's listener registry. Imported by
 * {@link ZeroDowntimeAutoConfiguration}.
 *
 * @since 0.1.0
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnWebApplication(type = Type.REACTIVE)
@ConditionalOnClass({ HttpServer.class, NettyReactiveWebServerFactory.class, InheritableHttpServer.class })
@Conditional(PlatformCondition.Supported.class)
public class ReactorNettyAdapterConfiguration {

	@Bean
	@ConditionalOnMissingBean
	InheritableNettyCustomizer inheritableNettyCustomizer(Upgrader upgrader, Environment environment,
			ObjectProvider<ReactorResourceFactory> resources) {
		return new InheritableNettyCustomizer(ListenerPlan.MAIN, environment, upgrader.listenerRegistry(), resources,
				true);
	}

}
