package io.zerodowntime.sample;

import io.zerodowntime.event.UpgradeFailedEvent;
import io.zerodowntime.event.UpgradeRolledBackEvent;
import io.zerodowntime.event.UpgradeSucceededEvent;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Logs the upgrade events the starter publishes, as an application would react to them:
 * the checks read these lines to prove each event is published.
 */
@Component
class UpgradeEventLog {

	private static final Log logger = LogFactory.getLog(UpgradeEventLog.class);

	@EventListener
	void succeeded(UpgradeSucceededEvent event) {
		logger.info("Spring event UpgradeSucceededEvent: " + event.getOutcome());
	}

	@EventListener
	void failed(UpgradeFailedEvent event) {
		logger.info("Spring event UpgradeFailedEvent: " + event.getOutcome());
	}

	@EventListener
	void rolledBack(UpgradeRolledBackEvent event) {
		logger.info("Spring event UpgradeRolledBackEvent: " + event.getOutcome());
	}

}
