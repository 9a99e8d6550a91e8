package io.zerodowntime;

/**
 * What a generation is doing.
 *
 * @since 0.1.0
 */
public enum UpgradeState {

	/** Starting up; not yet ready, so it cannot be upgraded. */
	STARTING,

	/** Ready and serving; an upgrade may be started. */
	SERVING,

	/**
	 * Serving while a new generation starts; then, through the new generation's
	 * probation, accepting nothing new but able to take the traffic back at once.
	 */
	UPGRADING,

	/**
	 * A new generation took over; finishing the requests this one holds, then exiting.
	 */
	DRAINING,

	/** Stopping with no successor. */
	STOPPING,

	/**
	 * Serving, on a platform where upgrades are not available: every upgrade is refused
	 * with the reason.
	 */
	UNSUPPORTED

}
