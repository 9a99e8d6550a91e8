package io.zerodowntime;

import java.time.Duration;
import java.util.Arrays;

import org.awaitility.Awaitility;

/**
 * Lets a test outside this package suspend and resume an upgrader's listeners, as a
 * probation does, and drain them.
 */
public final class Suspension {

	private Suspension() {
	}

	/**
	 * Suspend, then wait until an acceptor waits at the shut gate. Until then an acceptor
	 * that was blocked in {@code accept()} may still take one connection (the close only
	 * signals its thread), and serve it: that is the adapter contract, not a leak.
	 */
	public static int suspend(Upgrader upgrader) {
		int suspended = ((Listeners) upgrader.listenerRegistry()).suspend();
		Awaitility.await("an acceptor waiting at the shut gate")
			.atMost(Duration.ofSeconds(30))
			.pollInterval(Duration.ofMillis(10))
			.until(Suspension::anAcceptorWaitsAtTheGate);
		return suspended;
	}

	public static void resume(Upgrader upgrader) {
		((Listeners) upgrader.listenerRegistry()).resume();
	}

	/**
	 * Drain the upgrader's listeners as a generation does after a handover, without
	 * exiting: stop accepting, wait for the connections held, close what is left at the
	 * deadline.
	 * @return the connections left at the deadline and the requests cut then
	 */
	public static int[] drain(Upgrader upgrader, Duration timeout) {
		Listeners.Drained drained = ((Listeners) upgrader.listenerRegistry()).drain(timeout);
		return new int[] { drained.connections(), drained.requestsCut() };
	}

	private static boolean anAcceptorWaitsAtTheGate() {
		return Thread.getAllStackTraces()
			.entrySet()
			.stream()
			.anyMatch(
					(thread) -> thread.getKey().getState() != Thread.State.RUNNABLE && Arrays.stream(thread.getValue())
						.anyMatch((frame) -> frame.getMethodName().equals("awaitAcceptGate")));
	}

}
