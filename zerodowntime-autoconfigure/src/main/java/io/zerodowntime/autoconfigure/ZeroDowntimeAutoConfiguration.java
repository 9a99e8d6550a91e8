package io.zerodowntime.autoconfigure;

import io.zerodowntime.Upgrader;
import io.zerodowntime.actuate.UpgradeEndpoint;
import io.zerodowntime.tomcat.InheritableHttp11NioProtocol;
import org.apache.catalina.startup.Tomcat;

import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication.Type;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * Auto-configuration for zero-downtime upgrades of a Tomcat servlet web application:
 * every connector takes its listening socket from the process's listener registry.
 *
 * @since 0.1.0
 */
@AutoConfiguration
@ConditionalOnWebApplication(type = Type.SERVLET)
@ConditionalOnClass({ Tomcat.class, InheritableHttp11NioProtocol.class })
@ConditionalOnBooleanProperty("zerodowntime.enabled")
@EnableConfigurationProperties(ZeroDowntimeProperties.class)
public final class ZeroDowntimeAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	InheritableConnectorCustomizer inheritableConnectorCustomizer(Environment environment) {
		return new InheritableConnectorCustomizer(ListenerPlan.MAIN, environment, true);
	}

	@Bean
	@ConditionalOnMissingBean
	Upgrader upgrader(ZeroDowntimeProperties properties) {
		return Upgrader.create(properties.getCommand(), properties.getUpgradeTimeout());
	}

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnClass(name = "org.springframework.boot.actuate.endpoint.annotation.Endpoint")
	@ConditionalOnAvailableEndpoint(UpgradeEndpoint.class)
	UpgradeEndpoint upgradeEndpoint(Upgrader upgrader) {
		return new UpgradeEndpoint(upgrader);
	}

	@Bean
	GenerationLifecycle generationLifecycle(Upgrader upgrader, ZeroDowntimeProperties properties) {
		return new GenerationLifecycle(upgrader, properties);
	}

}
