package io.zerodowntime;

import java.time.Duration;
import java.time.Instant;

/** The old generation's handle on the new one it started. */
interface Child {

	/**
	 * Return the new generation's pid, or {@code null} until it is known.
	 * @return the pid
	 */
	Long pid();

	/**
	 * Wait until the new generation is ready, failed, exited, or the time is up.
	 * @param timeout how long to wait at most
	 * @return {@code null} when ready, otherwise why it did not become ready
	 * @throws InterruptedException if interrupted while waiting
	 */
	String awaitReady(Duration timeout) throws InterruptedException;

	/**
	 * Stop a new generation that did not become ready: SIGTERM, then SIGKILL after the
	 * grace period, then wait until it is gone.
	 * @param grace how long it may take to stop after SIGTERM
	 */
	void stop(Duration grace);

	/**
	 * Keep the handshake open for the rest of this process's life, so the new generation
	 * learns when this one has exited.
	 */
	void keepUntilExit();

	/**
	 * Once it is ready, pass every later sign from the new generation to a watch: its
	 * exit (end of the handshake), a readiness lost, its request counts. What was already
	 * reported is passed at once.
	 * @param watch the watch
	 */
	void watch(Watch watch);

	/**
	 * Tell the new generation, right after it reported ready, how it was born.
	 * @param until the end of its probation, or {@code null} for none
	 * @param upgradeMillis how long the upgrade took until it was ready
	 */
	void startProbation(Instant until, long upgradeMillis);

	/** Tell the new generation its probation is over: it serves for good. */
	void confirm();

	/**
	 * Tell the new generation it was rolled back: it stops accepting, drains and exits.
	 * @param reason why
	 */
	void rollBack(String reason);

	/**
	 * Wait until the new generation has exited (end of the handshake); once it has, the
	 * handshake socket is closed.
	 * @param timeout how long to wait at most
	 * @return whether it has exited
	 * @throws InterruptedException if interrupted while waiting
	 */
	boolean awaitExit(Duration timeout) throws InterruptedException;

	/** Signs from a new generation after it is ready; see {@link Probation}. */
	interface Watch {

		/** It exited (end of the handshake). */
		void exited();

		/**
		 * Its readiness turned false.
		 * @param reason what it reported
		 */
		void notReady(String reason);

		/**
		 * The requests it answered since it was ready.
		 * @param answered how many
		 * @param serverErrors how many of them with a 5xx
		 */
		void requests(long answered, long serverErrors);

	}

}
