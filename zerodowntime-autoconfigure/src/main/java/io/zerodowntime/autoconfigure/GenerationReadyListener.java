package io.zerodowntime.autoconfigure;

import io.zerodowntime.Upgrader;

import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;

/**
 * Translates the application's readiness into {@link Upgrader#ready()}: the core then
 * makes this generation the one that serves (PID file, accept gate, signals, service
 * manager, control socket, the previous generation told).
 */
class GenerationReadyListener implements ApplicationListener<ApplicationReadyEvent> {

	private final Upgrader upgrader;

	GenerationReadyListener(Upgrader upgrader) {
		this.upgrader = upgrader;
	}

	@Override
	public void onApplicationEvent(ApplicationReadyEvent event) {
		if (event.getApplicationContext().getParent() == null) {
			this.upgrader.ready();
		}
	}

}
