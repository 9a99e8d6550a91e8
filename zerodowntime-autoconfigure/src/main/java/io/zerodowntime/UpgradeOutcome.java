package io.zerodowntime;

import java.time.Instant;

/**
 * How an upgrade attempt ended.
 *
 * @param outcome what happened
 * @param reason why it was refused, failed or rolled back, {@code null} on success
 * @param generation the new generation's number on success, else this one's
 * @param childPid the pid of the new generation, {@code null} if none was started
 * @param startedAt when the attempt started
 * @param durationMs how long it took, in milliseconds: on success, until the new
 * generation was ready (its probation not included); on a rollback, until the rollback
 * @since 0.1.0
 */
public record UpgradeOutcome(Outcome outcome, String reason, int generation, Long childPid, Instant startedAt,
		long durationMs) {

	/** The ways an attempt ends. */
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
		FAILED,

		/**
		 * The new generation became ready but lost the traffic during its probation (it
		 * exited, its readiness turned false, or it answered too many requests with a
		 * 5xx): this one resumed accepting and serves on, and the new one drains and
		 * exits.
		 */
		ROLLED_BACK

	}

	static UpgradeOutcome refused(String reason, int generation) {
		return new UpgradeOutcome(Outcome.REFUSED, reason, generation, null, Instant.now(), 0);
	}

}
