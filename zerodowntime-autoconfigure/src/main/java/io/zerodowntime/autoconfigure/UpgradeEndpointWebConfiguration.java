package io.zerodowntime.autoconfigure;

import io.zerodowntime.actuate.UpgradeRequestFilter;

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
import org.springframework.core.Ordered;

/**
 * Puts {@link UpgradeRequestFilter} in front of {@code /actuator/upgrade}, in whichever
 * context serves the management endpoints (the main one, or the child context of a
 * separate management port).
 *
 * @since 0.1.0
 */
@ManagementContextConfiguration(value = ManagementContextType.ANY, proxyBeanMethods = false)
@ConditionalOnWebApplication(type = Type.SERVLET)
@ConditionalOnClass({ PathMappedEndpoints.class, FilterRegistrationBean.class })
@ConditionalOnBooleanProperty("zerodowntime.enabled")
public class UpgradeEndpointWebConfiguration {

	private static final EndpointId UPGRADE = EndpointId.of("upgrade");

	@Bean
	FilterRegistrationBean<UpgradeRequestFilter> upgradeRequestFilter(ObjectProvider<PathMappedEndpoints> endpoints) {
		UpgradeRequestFilter filter = new UpgradeRequestFilter(() -> {
			PathMappedEndpoints mapped = endpoints.getIfAvailable();
			return (mapped != null) ? mapped.getPath(UPGRADE) : null;
		});
		FilterRegistrationBean<UpgradeRequestFilter> registration = new FilterRegistrationBean<>(filter);
		registration.setName("zerodowntimeUpgradeRequestFilter");
		registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 100);
		return registration;
	}

}
