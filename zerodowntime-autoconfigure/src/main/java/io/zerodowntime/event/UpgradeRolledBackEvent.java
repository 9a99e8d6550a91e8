package io.zerodowntime.event;

import io.zerodowntime.UpgradeOutcome;
import io.zerodowntime.Upgrader;

/**
 * Published when a new generation lost the traffic during its probation (it exited, was
 * not ready any more, or answered too many requests with a 5xx): this generation accepts
 * again and serves on, and the new one drains and exits. The outcome is
 * {@code ROLLED_BACK}, with the reason.
 *
 * @since 0.1.0
 */
public class UpgradeRolledBackEvent extends UpgradeEvent {

	private final UpgradeOutcome outcome;

	/**
	 * Create a new event.
	 * @param upgrader the upgrader of this generation
	 * @param outcome how the upgrade ended
	 */
	public UpgradeRolledBackEvent(Upgrader upgrader, UpgradeOutcome outcome) {
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
