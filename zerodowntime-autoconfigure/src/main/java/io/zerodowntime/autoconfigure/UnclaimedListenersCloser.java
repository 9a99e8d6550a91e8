package io.zerodowntime.autoconfigure;

import io.zerodowntime.Listeners;

import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;

/** Closes the passed listeners no connector claimed, once the application is ready. */
class UnclaimedListenersCloser implements ApplicationListener<ApplicationReadyEvent> {

	@Override
	public void onApplicationEvent(ApplicationReadyEvent event) {
		Listeners.get().closeUnclaimed();
	}

}
