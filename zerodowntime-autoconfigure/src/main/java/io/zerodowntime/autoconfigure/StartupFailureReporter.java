package io.zerodowntime.autoconfigure;

import io.zerodowntime.Upgrader;

import org.springframework.boot.context.event.ApplicationFailedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.core.NestedExceptionUtils;

/**
 * Tells the generation that started this one why its startup failed, so the upgrade
 * outcome carries the reason. Registered in {@code spring.factories}: a failure can
 * happen before any bean exists.
 */
class StartupFailureReporter implements ApplicationListener<ApplicationFailedEvent> {

	@Override
	public void onApplicationEvent(ApplicationFailedEvent event) {
		Throwable root = NestedExceptionUtils.getMostSpecificCause(event.getException());
		Upgrader.reportStartupFailure(root.getClass().getSimpleName() + ": " + root.getMessage());
	}

}
