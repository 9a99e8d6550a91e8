package io.zerodowntime.autoconfigure;

import io.zerodowntime.UpgradeListener;
import io.zerodowntime.UpgradeOutcome;
import io.zerodowntime.Upgrader;
import io.zerodowntime.event.UpgradeFailedEvent;
import io.zerodowntime.event.UpgradeRolledBackEvent;
import io.zerodowntime.event.UpgradeStartedEvent;
import io.zerodowntime.event.UpgradeSucceededEvent;

import org.springframework.context.ApplicationEventPublisher;

/** Publishes each upgrade step as a Spring application event. */
class UpgradeEventPublisher implements UpgradeListener {

	private final Upgrader upgrader;

	private final ApplicationEventPublisher publisher;

	UpgradeEventPublisher(Upgrader upgrader, ApplicationEventPublisher publisher) {
		this.upgrader = upgrader;
		this.publisher = publisher;
		upgrader.addListener(this);
	}

	@Override
	public void upgradeStarted(int generation) {
		this.publisher.publishEvent(new UpgradeStartedEvent(this.upgrader, generation));
	}

	@Override
	public void upgradeSucceeded(UpgradeOutcome outcome) {
		this.publisher.publishEvent(new UpgradeSucceededEvent(this.upgrader, outcome));
	}

	@Override
	public void upgradeFailed(UpgradeOutcome outcome) {
		this.publisher.publishEvent(new UpgradeFailedEvent(this.upgrader, outcome));
	}

	@Override
	public void upgradeRolledBack(UpgradeOutcome outcome) {
		this.publisher.publishEvent(new UpgradeRolledBackEvent(this.upgrader, outcome));
	}

}
