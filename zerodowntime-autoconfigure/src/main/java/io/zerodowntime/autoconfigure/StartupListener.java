package io.zerodowntime.autoconfigure;

import java.util.LinkedHashMap;
import java.util.Map;

import io.zerodowntime.Generation;
import io.zerodowntime.Upgrader;

import org.springframework.boot.context.event.ApplicationEnvironmentPreparedEvent;
import org.springframework.boot.context.event.ApplicationFailedEvent;
import org.springframework.boot.context.event.ApplicationStartingEvent;
import org.springframework.context.ApplicationEvent;
import org.springframework.context.event.SmartApplicationListener;
import org.springframework.core.NestedExceptionUtils;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/**
 * Tells the core what happens before any bean exists ({@link Upgrader.Startup}):
 * <ul>
 * <li>the application is starting: SIGHUP is trapped, so one during startup cannot end
 * the JVM;</li>
 * <li>the configuration is known (after every {@code EnvironmentPostProcessor}, hence the
 * lowest precedence): whether upgrades are enabled, and when they are, the handover
 * variables are hidden from the Spring {@code Environment} (they are removed from the
 * process environment when the upgrader reads them);</li>
 * <li>startup failed: the generation that started this one learns why, so its upgrade
 * outcome carries the reason.</li>
 * </ul>
 * Registered in {@code spring.factories}: all of this happens before the application
 * context exists.
 */
class StartupListener implements SmartApplicationListener {

	@Override
	public boolean supportsEventType(Class<? extends ApplicationEvent> eventType) {
		return ApplicationStartingEvent.class.isAssignableFrom(eventType)
				|| ApplicationEnvironmentPreparedEvent.class.isAssignableFrom(eventType)
				|| ApplicationFailedEvent.class.isAssignableFrom(eventType);
	}

	@Override
	public void onApplicationEvent(ApplicationEvent event) {
		if (event instanceof ApplicationStartingEvent) {
			Upgrader.Startup.trapHangup();
		}
		else if (event instanceof ApplicationEnvironmentPreparedEvent prepared) {
			configured(prepared.getEnvironment());
		}
		else if (event instanceof ApplicationFailedEvent failed) {
			Throwable root = NestedExceptionUtils.getMostSpecificCause(failed.getException());
			Upgrader.Startup.failed(root.getClass().getSimpleName() + ": " + root.getMessage());
		}
	}

	private void configured(ConfigurableEnvironment environment) {
		boolean enabled = environment.getProperty("zerodowntime.enabled", Boolean.class, false);
		Upgrader.Startup.configured(enabled);
		if (!enabled) {
			return;
		}
		// the variables themselves are read (and logged about) later, once logging is set
		// up
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

	@Override
	public int getOrder() {
		return Ordered.LOWEST_PRECEDENCE;
	}

}
