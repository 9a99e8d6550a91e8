package io.zerodowntime.autoconfigure;

import java.util.function.Supplier;

import io.zerodowntime.actuate.UpgradeRequestFilter;
import io.zerodowntime.actuate.UpgradeRequestWebFilter;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.web.ManagementContextConfiguration;
import org.springframework.boot.actuate.autoconfigure.web.ManagementContextType;
import org.springframework.boot.actuate.endpoint.EndpointId;
import org.springframework.boot.actuate.endpoint.web.PathMappedEndpoints;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication.Type;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

/**
 * Puts the check of {@code POST /actuator/upgrade} in front of the endpoint, in whichever
 * context serves the management endpoints (the main one, or the child context of a
 * separate management port): {@link UpgradeRequestFilter} on a servlet server,
 * {@link UpgradeRequestWebFilter} on a reactive one.
 *
 * @since 0.1.0
 */
@ManagementContextConfiguration(value = ManagementContextType.ANY, proxyBeanMethods = false)
@ConditionalOnClass(PathMappedEndpoints.class)
@ConditionalOnBooleanProperty("zerodowntime.enabled")
public class UpgradeEndpointWebConfiguration {

	private static final EndpointId UPGRADE = EndpointId.of("upgrade");

	/** Before the application's filters and Spring Security's (order -100). */
	private static final int ORDER = Ordered.HIGHEST_PRECEDENCE + 100;

	static Supplier<String> upgradePath(ObjectProvider<PathMappedEndpoints> endpoints) {
		return () -> {
			PathMappedEndpoints mapped = endpoints.getIfAvailable();
			return (mapped != null) ? mapped.getPath(UPGRADE) : null;
		};
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnWebApplication(type = Type.SERVLET)
	@ConditionalOnClass(FilterRegistrationBean.class)
	static class Servlet {

		@Bean
		FilterRegistrationBean<UpgradeRequestFilter> upgradeRequestFilter(
				ObjectProvider<PathMappedEndpoints> endpoints) {
			FilterRegistrationBean<UpgradeRequestFilter> registration = new FilterRegistrationBean<>(
					new UpgradeRequestFilter(upgradePath(endpoints)));
			registration.setName("zerodowntimeUpgradeRequestFilter");
			registration.setOrder(ORDER);
			return registration;
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnWebApplication(type = Type.REACTIVE)
	@ConditionalOnClass(name = "org.springframework.web.server.WebFilter")
	static class Reactive {

		@Bean
		UpgradeRequestWebFilter zerodowntimeUpgradeRequestWebFilter(ObjectProvider<PathMappedEndpoints> endpoints) {
			return new UpgradeRequestWebFilter(upgradePath(endpoints), ORDER);
		}

	}

}
