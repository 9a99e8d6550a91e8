package io.zerodowntime.autoconfigure;

import org.springframework.boot.context.event.ApplicationStartingEvent;
import org.springframework.context.ApplicationListener;

/**
 * Traps SIGHUP as soon as Spring Boot starts, before any configuration is read (see
 * {@link StartupSignals}). Registered in {@code spring.factories}.
 */
class EarlySignalListener implements ApplicationListener<ApplicationStartingEvent> {

	@Override
	public void onApplicationEvent(ApplicationStartingEvent event) {
		StartupSignals.install();
	}

}
