package io.zerodowntime;

import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Traps a POSIX signal with {@code sun.misc.Signal}. The handler runs on the JVM's signal
 * thread, so it must only hand work to another thread.
 */
final class SignalTrap {

	private final Signal signal;

	private final SignalHandler previous;

	private SignalTrap(Signal signal, SignalHandler previous) {
		this.signal = signal;
		this.previous = previous;
	}

	/**
	 * Trap a signal.
	 * @param name the signal name without {@code SIG}, e.g. {@code HUP}
	 * @param handler what to do when it arrives
	 * @return the trap; {@link #wasIgnored()} tells whether the JVM started with the
	 * signal ignored (then the handler never runs)
	 * @throws IllegalArgumentException if the JVM reserves the signal
	 */
	public static SignalTrap install(String name, Runnable handler) {
		Signal signal = new Signal(name);
		SignalHandler previous = Signal.handle(signal, (s) -> handler.run());
		return new SignalTrap(signal, previous);
	}

	/**
	 * Return whether the signal was ignored when the JVM started (for example under
	 * {@code nohup}): the JVM then keeps ignoring it and the handler never runs.
	 * @return whether the signal is ignored
	 */
	public boolean wasIgnored() {
		return this.previous == SignalHandler.SIG_IGN;
	}

	/**
	 * Put the previous handler back.
	 */
	public void restore() {
		Signal.handle(this.signal, this.previous);
	}

	/**
	 * Send the signal to this process.
	 * @param name the signal name without {@code SIG}
	 */
	public static void raise(String name) {
		Signal.raise(new Signal(name));
	}

}
