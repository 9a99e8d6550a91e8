package io.zerodowntime.server;

/**
 * What a server attached to a listener does when its generation drains: the adapter's
 * half of a drain. Attached with {@link ServerListener#attach}; called on the core's
 * drain thread once this generation has handed over (or is stopping), then polled until
 * no connection is left or the drain timeout passes.
 *
 * @since 0.1.0
 */
public interface DrainTarget {

	/**
	 * Stop accepting: close this process's copy of the listener, and answer every later
	 * request on a connection already held with {@code Connection: close}.
	 */
	void stopAccepting();

	/**
	 * Allow or stop keep-alive on the connections already held, reversibly: while it is
	 * stopped, every response carries {@code Connection: close}. Stopped when this
	 * generation suspends accepting for a new generation's probation, allowed again if it
	 * resumes (a rollback). An adapter that does nothing here still works: its held
	 * connections then stay with this generation until the probation ends.
	 * @param allowed whether keep-alive is allowed
	 */
	default void keepAlive(boolean allowed) {
	}

	/**
	 * Return how many client connections are still open.
	 * @return the number of open connections
	 */
	int openConnections();

}
