package io.zerodowntime.event;

import io.zerodowntime.Upgrader;

/**
 * Published when this generation starts a new one.
 *
 * @since 0.1.0
 */
public class UpgradeStartedEvent extends UpgradeEvent {

	private final int generation;

	/**
	 * Create a new event.
	 * @param upgrader the upgrader of this generation
	 * @param generation the number of the generation being started
	 */
	public UpgradeStartedEvent(Upgrader upgrader, int generation) {
		super(upgrader);
		this.generation = generation;
	}

	/**
	 * Return the number of the generation being started.
	 * @return the generation number
	 */
	public int getGeneration() {
		return this.generation;
	}

}
