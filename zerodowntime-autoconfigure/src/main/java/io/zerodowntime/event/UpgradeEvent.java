package io.zerodowntime.event;

import io.zerodowntime.Upgrader;

import org.springframework.context.ApplicationEvent;

/**
 * Base of the events published for each upgrade step; the source is the {@link Upgrader}.
 *
 * @since 0.1.0
 */
public abstract class UpgradeEvent extends ApplicationEvent {

	/**
	 * Create a new event.
	 * @param upgrader the upgrader of this generation
	 */
	protected UpgradeEvent(Upgrader upgrader) {
		super(upgrader);
	}

	/**
	 * Return the upgrader of this generation.
	 * @return the upgrader
	 */
	public Upgrader getUpgrader() {
		return (Upgrader) getSource();
	}

}
