package io.zerodowntime.autoconfigure;

import io.zerodowntime.Upgrader;
import io.zerodowntime.tomcat.InheritableHttp11NioProtocol;
import org.apache.catalina.startup.Tomcat;

import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication.Type;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * The Tomcat adapter's glue: every connector of Spring Boot's Tomcat servlet factory
 * takes its listening socket from the upgrader's listener registry. Imported by
 * {@link ZeroDowntimeAutoConfiguration}.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnWebApplication(type = Type.SERVLET)
@ConditionalOnClass({ Tomcat.class, TomcatServletWebServerFactory.class, InheritableHttp11NioProtocol.class })
@Conditional(PlatformCondition.Supported.class)
class TomcatAdapterConfiguration {

	@Bean
	@ConditionalOnMissingBean
	InheritableConnectorCustomizer inheritableConnectorCustomizer(Upgrader upgrader, Environment environment) {
		return new InheritableConnectorCustomizer(ListenerPlan.MAIN, environment, upgrader.listenerRegistry(), true);
	}

}
