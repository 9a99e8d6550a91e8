package io.zerodowntime.event;

import io.zerodowntime.UpgradeOutcome;
import io.zerodowntime.Upgrader;

/**
 * Published when the new generation could not be started or did not become ready; this
 * generation serves on.
 *
 * @since 0.1.0
 */
public class UpgradeFailedEvent extends UpgradeEvent {

	private final UpgradeOutcome outcome;

	/**
	 * Create a new event.
	 * @param upgrader the upgrader of this generation
	 * @param outcome how the upgrade ended
	 */
	public UpgradeFailedEvent(Upgrader upgrader, UpgradeOutcome outcome) {
		super(upgrader);
		this.outcome = outcome;
	}

	/**
	 * Return how the upgrade ended.
	 * @return the outcome
	 */
	public UpgradeOutcome getOutcome() {
		return this.outcome;
	}

}
