package io.zerodowntime.autoconfigure;

import io.micrometer.core.instrument.MeterRegistry;
import io.zerodowntime.HandoverPriority;
import io.zerodowntime.SdNotify;
import io.zerodowntime.Upgrader;
import io.zerodowntime.actuate.UpgradeEndpoint;
import io.zerodowntime.tomcat.InheritableHttp11NioProtocol;
import org.apache.catalina.startup.Tomcat;

import org.springframework.boot.actuate.endpoint.annotation.Endpoint;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication.Type;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
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
	SystemdNotifier systemdNotifier(Upgrader upgrader) {
		return new SystemdNotifier(SdNotify.fromEnvironment(), upgrader);
	}

	@Bean
	GenerationLifecycle generationLifecycle(Upgrader upgrader, ZeroDowntimeProperties properties,
			ObjectProvider<SystemdNotifier> systemdNotifier) {
		return new GenerationLifecycle(upgrader, properties, systemdNotifier.getIfAvailable());
	}

	@Bean
	@ConditionalOnBooleanProperty(name = "zerodowntime.handover-priority", matchIfMissing = true)
	HandoverPriority handoverPriority(Upgrader upgrader) {
		HandoverPriority priority = HandoverPriority.forThisProcess();
		upgrader.addListener(priority);
		return priority;
	}

	@Bean
	UpgradeEventPublisher upgradeEventPublisher(Upgrader upgrader, ApplicationEventPublisher publisher) {
		return new UpgradeEventPublisher(upgrader, publisher);
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(Endpoint.class)
	static class UpgradeEndpointConfiguration {

		@Bean
		@ConditionalOnMissingBean
		@ConditionalOnAvailableEndpoint(UpgradeEndpoint.class)
		UpgradeEndpoint upgradeEndpoint(Upgrader upgrader) {
			return new UpgradeEndpoint(upgrader);
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(MeterRegistry.class)
	static class UpgradeMetricsConfiguration {

		@Bean
		UpgradeMetrics upgradeMetrics(Upgrader upgrader, ObjectProvider<MeterRegistry> registry) {
			return new UpgradeMetrics(upgrader, registry);
		}

	}

}
