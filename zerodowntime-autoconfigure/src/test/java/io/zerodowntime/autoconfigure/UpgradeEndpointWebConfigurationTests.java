package io.zerodowntime.autoconfigure;

import io.zerodowntime.actuate.UpgradeRequestFilter;
import io.zerodowntime.actuate.UpgradeRequestWebFilter;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.web.server.WebFilter;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The check of {@code POST /actuator/upgrade}: a servlet filter on a servlet server, a
 * web filter on a reactive one, nothing unless the starter is enabled.
 */
class UpgradeEndpointWebConfigurationTests {

	@Test
	void aReactiveApplicationGetsTheWebFilterAndNoServletFilter() {
		new ReactiveWebApplicationContextRunner().withUserConfiguration(UpgradeEndpointWebConfiguration.class)
			.withPropertyValues("zerodowntime.enabled=true")
			.run((context) -> assertThat(context).hasNotFailed()
				.hasSingleBean(UpgradeRequestWebFilter.class)
				.hasSingleBean(WebFilter.class)
				.doesNotHaveBean(FilterRegistrationBean.class));
	}

	@Test
	void aServletApplicationGetsTheServletFilterAndNoWebFilter() {
		new WebApplicationContextRunner().withUserConfiguration(UpgradeEndpointWebConfiguration.class)
			.withPropertyValues("zerodowntime.enabled=true")
			.run((context) -> {
				assertThat(context).hasNotFailed().doesNotHaveBean(WebFilter.class);
				assertThat(context.getBean(FilterRegistrationBean.class).getFilter())
					.isInstanceOf(UpgradeRequestFilter.class);
			});
	}

	@Test
	void nothingIsAddedUnlessTheStarterIsEnabled() {
		new ReactiveWebApplicationContextRunner().withUserConfiguration(UpgradeEndpointWebConfiguration.class)
			.run((context) -> assertThat(context).doesNotHaveBean(WebFilter.class));
		new WebApplicationContextRunner().withUserConfiguration(UpgradeEndpointWebConfiguration.class)
			.run((context) -> assertThat(context).doesNotHaveBean(FilterRegistrationBean.class));
	}

}
