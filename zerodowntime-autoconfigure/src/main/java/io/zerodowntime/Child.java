package io.zerodowntime;

import java.time.Duration;

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

}
