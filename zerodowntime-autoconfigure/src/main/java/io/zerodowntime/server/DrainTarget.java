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
	 * Return how many client connections are still open.
	 * @return the number of open connections
	 */
	int openConnections();

}
