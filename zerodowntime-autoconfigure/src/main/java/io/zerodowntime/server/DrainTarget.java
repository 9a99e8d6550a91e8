package io.zerodowntime.server;

/**
 * What a server attached to a listener does when its generation drains: the adapter's
 * half of a drain. Attached with {@link ServerListener#attach}; called on the core's
 * drain thread once this generation has handed over (or is stopping), then polled until
 * no connection is left or the drain timeout passes; at that deadline, told to close
 * every connection left. After that the application is closed and the process exits,
 * whatever the server's own graceful shutdown would wait for.
 *
 * @since 0.1.0
 */
public interface DrainTarget {

	/**
	 * Stop accepting: close this process's copy of the listener. From then on, answer
	 * every request read on a connection already held, and put {@code Connection: close}
	 * on the response to the last one read on it (read nothing after it). Never close a
	 * connection on which a request has arrived; one idle between requests may stay open
	 * until its next request or {@link #closeConnections()}.
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

	/**
	 * The drain timeout has passed: close every connection still open, at once. One idle
	 * between requests is closed cleanly (what the client sent and nobody read is
	 * discarded first, so the close is not a reset); a request still running is cut. An
	 * adapter may first end long-lived exchanges properly, within about a second
	 * (complete a server-sent-event stream, close a WebSocket with 1001): those are not
	 * cut.
	 * @return how many requests were cut: being served, or arrived and not answered
	 */
	int closeConnections();

}
