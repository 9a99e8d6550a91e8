package io.zerodowntime;

/**
 * Lets a test outside this package suspend and resume an upgrader's listeners, as a
 * probation does.
 */
public final class Suspension {

	private Suspension() {
	}

	public static int suspend(Upgrader upgrader) {
		return ((Listeners) upgrader.listenerRegistry()).suspend();
	}

	public static void resume(Upgrader upgrader) {
		((Listeners) upgrader.listenerRegistry()).resume();
	}

}
