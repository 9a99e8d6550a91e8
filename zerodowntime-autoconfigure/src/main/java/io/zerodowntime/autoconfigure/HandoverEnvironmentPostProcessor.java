package io.zerodowntime.autoconfigure;

import java.util.LinkedHashMap;
import java.util.Map;

import io.zerodowntime.Generation;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/**
 * Once the configuration is known: settles who owns SIGHUP, and, when enabled, hides the
 * handover variables from the Spring {@code Environment} (they are removed from the
 * process environment when the listener registry reads them).
 */
class HandoverEnvironmentPostProcessor implements EnvironmentPostProcessor, Ordered {

	@Override
	public int getOrder() {
		return Ordered.LOWEST_PRECEDENCE;
	}

	@Override
	public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
		boolean enabled = environment.getProperty("zerodowntime.enabled", Boolean.class, false);
		StartupSignals.decide(enabled);
		if (!enabled) {
			return;
		}
		// the variables themselves are read (and logged about) later, once logging is set up
		PropertySource<?> system = environment.getPropertySources()
			.get(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME);
		if (system instanceof MapPropertySource map) {
			Map<String, Object> filtered = new LinkedHashMap<>(map.getSource());
			if (filtered.keySet().removeAll(Generation.handoverVariables())) {
				environment.getPropertySources()
					.replace(system.getName(), new SystemEnvironmentPropertySource(system.getName(), filtered));
			}
		}
	}

}
