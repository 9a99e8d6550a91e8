package io.zerodowntime;

import java.time.Instant;

/**
 * How an upgrade attempt ended.
 *
 * @param outcome what happened
 * @param reason why it was refused or failed, {@code null} on success
 * @param generation the new generation's number on success, else this one's
 * @param childPid the pid of the new generation, {@code null} if none was started
 * @param startedAt when the attempt started
 * @param durationMs how long it took, in milliseconds
 * @since 0.1.0
 */
public record UpgradeOutcome(Outcome outcome, String reason, int generation, Long childPid, Instant startedAt,
		long durationMs) {

	/** The three ways an attempt ends. */
	public enum Outcome {

		/** The new generation is ready and has taken over. */
		SUCCEEDED,

		/**
		 * No attempt was made: one is running already, or this generation cannot upgrade
		 * now.
		 */
		REFUSED,

		/**
		 * The new generation could not be started or did not become ready; this one
		 * serves on.
		 */
		FAILED

	}

	static UpgradeOutcome refused(String reason, int generation) {
		return new UpgradeOutcome(Outcome.REFUSED, reason, generation, null, Instant.now(), 0);
	}

}
