package io.zerodowntime.autoconfigure;

import io.zerodowntime.Upgrader;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;

/**
 * What {@code zerodowntime.enabled=true} does on a platform where upgrades are not
 * available: one warning at startup naming the platform and what is missing; Tomcat binds
 * its ports as Spring Boot makes it; SIGHUP, where the platform has it, logs the refusal
 * instead of ending the JVM; the endpoint and the Java API refuse every upgrade with the
 * reason.
 */
class UnsupportedPlatform implements ApplicationListener<ApplicationReadyEvent> {

	private static final Log logger = LogFactory.getLog(UnsupportedPlatform.class);

	private final Upgrader upgrader;

	UnsupportedPlatform(Upgrader upgrader) {
		this.upgrader = upgrader;
		logger.warn("zerodowntime.enabled=true, but " + upgrader.unavailable() + ". This application runs "
				+ "as Spring Boot makes it: Tomcat binds its ports itself, no listener is handed over, "
				+ "zerodowntime.pid-file is not written, nothing is sent to a service manager, and an upgrade "
				+ "(SIGHUP, POST /actuator/upgrade, Upgrader.upgrade()) is refused with this reason. Deploy to "
				+ "Linux on x86_64 for zero-downtime upgrades, or set zerodowntime.enabled=false on this host to "
				+ "silence this warning.");
	}

	@Override
	public void onApplicationEvent(ApplicationReadyEvent event) {
		if (event.getApplicationContext().getParent() != null) {
			return;
		}
		StartupSignals.refuseOnHangup(() -> {
			Thread thread = new Thread(() -> this.upgrader.upgradeTriggeredBy(StartupSignals.HANGUP_TRIGGER),
					"zerodowntime-upgrade");
			thread.setDaemon(true);
			thread.start();
		});
	}

}
