package io.zerodowntime.autoconfigure;

import java.net.ConnectException;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.actuate.endpoint.HealthEndpoint;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroups;
import org.springframework.boot.health.autoconfigure.actuate.endpoint.HealthEndpointAutoConfiguration;
import org.springframework.boot.health.autoconfigure.contributor.HealthContributorAutoConfiguration;
import org.springframework.boot.health.autoconfigure.registry.HealthContributorRegistryAutoConfiguration;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link ReadinessHealthGroup}: which group a generation waits for, and how a
 * group that is not UP is described.
 */
class ReadinessHealthGroupTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(HealthContributorAutoConfiguration.class,
				HealthContributorRegistryAutoConfiguration.class, HealthEndpointAutoConfiguration.class))
		.withUserConfiguration(Indicators.class);

	@Test
	void theReadinessGroupIsCheckedByDefaultAndItsFailingIndicatorsAreNamed() {
		this.contextRunner.withPropertyValues("management.endpoint.health.group.readiness.include=db,disk")
			.run((context) -> {
				ReadinessHealthGroup group = check(context.getBeanProvider(HealthEndpoint.class),
						context.getBeanProvider(HealthEndpointGroups.class), null);
				assertThat(group.get()).isEqualTo("health group 'readiness' is DOWN: db: DOWN (Connection refused)");
			});
	}

	@Test
	void withNoReadinessGroupNothingIsChecked() {
		this.contextRunner.run((context) -> assertThat(check(context.getBeanProvider(HealthEndpoint.class),
				context.getBeanProvider(HealthEndpointGroups.class), null)
			.get()).isNull());
	}

	@Test
	void aConfiguredGroupThatIsUpIsNoProblem() {
		this.contextRunner.withPropertyValues("management.endpoint.health.group.live.include=disk")
			.run((context) -> assertThat(check(context.getBeanProvider(HealthEndpoint.class),
					context.getBeanProvider(HealthEndpointGroups.class), "live")
				.get()).isNull());
	}

	@Test
	void aConfiguredGroupThatDoesNotExistFailsTheStartWithTheFix() {
		this.contextRunner.withPropertyValues("management.endpoint.health.group.live.include=disk").run((context) -> {
			ReadinessHealthGroup group = new ReadinessHealthGroup(context.getBeanProvider(HealthEndpoint.class),
					context.getBeanProvider(HealthEndpointGroups.class), "ready");
			org.assertj.core.api.Assertions.assertThatIllegalStateException()
				.isThrownBy(group::afterSingletonsInstantiated)
				.withMessageContaining("zerodowntime.readiness.health-group=ready names no health group")
				.withMessageContaining("[live]")
				.withMessageContaining("management.endpoint.health.group.ready.include");
		});
	}

	private static ReadinessHealthGroup check(ObjectProvider<HealthEndpoint> endpoint,
			ObjectProvider<HealthEndpointGroups> groups, String configured) {
		ReadinessHealthGroup group = new ReadinessHealthGroup(endpoint, groups, configured);
		group.afterSingletonsInstantiated();
		return group;
	}

	@Configuration(proxyBeanMethods = false)
	static class Indicators {

		@Bean
		HealthIndicator dbHealthIndicator() {
			return () -> Health.down(new ConnectException("Connection refused")).build();
		}

		@Bean
		HealthIndicator diskHealthIndicator() {
			return () -> Health.up().build();
		}

	}

}
