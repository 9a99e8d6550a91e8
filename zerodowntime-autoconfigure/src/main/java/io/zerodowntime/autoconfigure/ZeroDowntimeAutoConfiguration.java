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
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication.Type;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * Auto-configuration for zero-downtime upgrades of a Tomcat servlet web application:
 * every connector takes its listening socket from the process's listener registry. On a
 * platform where upgrades are not available ({@link io.zerodowntime.Platform}) the
 * application runs as Spring Boot makes it, with one warning, and every upgrade is refused.
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
	@Conditional(PlatformCondition.Supported.class)
	InheritableConnectorCustomizer inheritableConnectorCustomizer(Environment environment) {
		return new InheritableConnectorCustomizer(ListenerPlan.MAIN, environment, true);
	}

	@Bean
	@ConditionalOnMissingBean
	Upgrader upgrader(ZeroDowntimeProperties properties) {
		return Upgrader.create(properties.getCommand(), properties.getUpgradeTimeout(),
				properties.getDrainTimeout().plus(properties.getExitGrace()));
	}

	@Bean
	@ConditionalOnMissingBean
	@Conditional(PlatformCondition.Supported.class)
	SystemdNotifier systemdNotifier(Upgrader upgrader) {
		return new SystemdNotifier(SdNotify.fromEnvironment(), upgrader);
	}

	@Bean
	@Conditional(PlatformCondition.Supported.class)
	GenerationLifecycle generationLifecycle(Upgrader upgrader, ZeroDowntimeProperties properties,
			ObjectProvider<SystemdNotifier> systemdNotifier) {
		return new GenerationLifecycle(upgrader, properties, systemdNotifier.getIfAvailable());
	}

	@Bean
	@Conditional(PlatformCondition.Supported.class)
	ServiceUnitCheck serviceUnitCheck(Upgrader upgrader, ZeroDowntimeProperties properties) {
		return new ServiceUnitCheck(System.getenv(), properties.getPidFile(), upgrader.generation());
	}

	@Bean
	@Conditional(PlatformCondition.Unsupported.class)
	UnsupportedPlatform unsupportedPlatform(Upgrader upgrader) {
		return new UnsupportedPlatform(upgrader);
	}

	@Bean
	@Conditional(PlatformCondition.Supported.class)
	@ConditionalOnProperty("zerodowntime.control-socket")
	ControlChannel controlChannel(Upgrader upgrader, ZeroDowntimeProperties properties) {
		return new ControlChannel(upgrader, properties);
	}

	@Bean
	@Conditional(PlatformCondition.Supported.class)
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
