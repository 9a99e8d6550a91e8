package io.zerodowntime.autoconfigure;

import java.util.function.Supplier;

import io.micrometer.core.instrument.MeterRegistry;
import io.zerodowntime.GenerationStartException;
import io.zerodowntime.Upgrader;
import io.zerodowntime.actuate.UpgradeEndpoint;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication.Type;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.LoggingFailureAnalysisReporter;
import org.springframework.boot.health.actuate.endpoint.HealthEndpoint;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroups;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;

/**
 * Auto-configuration for zero-downtime upgrades of a web application: the
 * {@link Upgrader} of this process, built from the {@code zerodowntime.*} properties,
 * told when the application is ready, and closing the application when its generation
 * exits. Each web server's adapter makes every connector take its listening socket from
 * the upgrader's listener registry: Tomcat ({@link TomcatAdapterConfiguration}), Jetty
 * ({@link JettyAdapterConfiguration}) and Reactor Netty
 * ({@link ReactorNettyAdapterConfiguration}); another web server stops startup with a
 * message saying what is supported. On a platform where upgrades are not available the
 * application runs as Spring Boot makes it, with one warning, and every upgrade is
 * refused.
 *
 * @since 0.1.0
 */
@AutoConfiguration
@ConditionalOnWebApplication
@ConditionalOnBooleanProperty("zerodowntime.enabled")
@EnableConfigurationProperties(ZeroDowntimeProperties.class)
@Import({ TomcatAdapterConfiguration.class, JettyAdapterConfiguration.class, ReactorNettyAdapterConfiguration.class })
public final class ZeroDowntimeAutoConfiguration {

	private static final String CONTROL_SOCKET = "zerodowntime.control-socket";

	@Bean
	@ConditionalOnMissingBean
	Upgrader upgrader(ZeroDowntimeProperties properties, Environment environment, ApplicationContext context) {
		Upgrader.Builder builder = Upgrader.builder()
			.command(properties.getCommand())
			.upgradeTimeout(properties.getUpgradeTimeout())
			.drainTimeout(properties.getDrainTimeout())
			.exitGrace(properties.getExitGrace())
			.pidFile(properties.getPidFile())
			.handoverPriority(properties.isHandoverPriority())
			.handoverNice(properties.getHandoverNice())
			.probation(properties.getProbation())
			.rollback(properties.getRollback().getMaxErrorRatio(), properties.getRollback().getMinRequests())
			.onExit(new ApplicationExit(context));
		if (environment.containsProperty(CONTROL_SOCKET)) {
			builder.controlSocket(properties.getControlSocket(), properties.getControlSocketGroup());
		}
		return builder.build();
	}

	@Bean
	GenerationReadyListener generationReadyListener(Upgrader upgrader,
			ObjectProvider<ApplicationAvailability> availability, ObjectProvider<ReadinessHealthGroup> health,
			ObjectProvider<RequestCounter> requests, ConfigurableApplicationContext context) {
		Supplier<ReadinessState> readiness = () -> {
			ApplicationAvailability known = availability.getIfAvailable();
			return (known != null) ? known.getReadinessState() : ReadinessState.ACCEPTING_TRAFFIC;
		};
		ReadinessHealthGroup group = health.getIfAvailable();
		RequestCounter counter = requests.getIfAvailable();
		return new GenerationReadyListener(GenerationReadyListener.Target.of(upgrader), readiness, group, counter,
				(failure) -> exitNotReady(context, failure));
	}

	/**
	 * End an application that cannot become ready after its start as a failed start ends:
	 * the failure analysis, then status 1.
	 */
	private static void exitNotReady(ConfigurableApplicationContext context, GenerationStartException failure) {
		new LoggingFailureAnalysisReporter()
			.report(new FailureAnalysis(failure.getDescription(), failure.getAction(), failure));
		Thread exit = new Thread(() -> System.exit(SpringApplication.exit(context, () -> 1)), "zerodowntime-exit");
		// not a daemon (as the thread that calls this is): once the server's threads
		// stop,
		// the JVM would end with status 0 before a daemon thread got to System.exit
		exit.setDaemon(false);
		exit.start();
	}

	@Bean
	@ConditionalOnWebApplication(type = Type.SERVLET)
	ServerErrorCounter zeroDowntimeServerErrorCounter() {
		return new ServerErrorCounter();
	}

	@Bean
	@ConditionalOnWebApplication(type = Type.REACTIVE)
	ReactiveServerErrorCounter zeroDowntimeReactiveServerErrorCounter() {
		return new ReactiveServerErrorCounter();
	}

	@Bean
	@Conditional(PlatformCondition.Supported.class)
	SupportedServerCheck zeroDowntimeSupportedServerCheck() {
		return new SupportedServerCheck();
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
	@ConditionalOnClass(HealthEndpoint.class)
	static class ReadinessHealthGroupConfiguration {

		@Bean
		ReadinessHealthGroup zeroDowntimeReadinessHealthGroup(ObjectProvider<HealthEndpoint> endpoints,
				ObjectProvider<HealthEndpointGroups> groups, ZeroDowntimeProperties properties) {
			return new ReadinessHealthGroup(endpoints, groups, properties.getReadiness().getHealthGroup());
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
