package io.zerodowntime.event;

import io.zerodowntime.UpgradeOutcome;
import io.zerodowntime.Upgrader;

/**
 * Published when the new generation is ready and has taken over; this generation drains
 * and exits next.
 *
 * @since 0.1.0
 */
public class UpgradeSucceededEvent extends UpgradeEvent {

	private final UpgradeOutcome outcome;

	/**
	 * Create a new event.
	 * @param upgrader the upgrader of this generation
	 * @param outcome how the upgrade ended
	 */
	public UpgradeSucceededEvent(Upgrader upgrader, UpgradeOutcome outcome) {
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
