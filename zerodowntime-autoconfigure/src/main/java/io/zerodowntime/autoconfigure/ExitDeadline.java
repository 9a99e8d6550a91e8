package io.zerodowntime.autoconfigure;

import java.time.Duration;

import io.zerodowntime.Generation;

/**
 * A draining generation's own deadline: if it has not exited within its drain timeout plus
 * the exit grace (a shutdown hook or a bean's destroy method that hangs), it halts. Its
 * successor has a backstop a little later, in case this one cannot even do that.
 */
final class ExitDeadline {

	private ExitDeadline() {
	}

	/**
	 * Start the deadline, from now.
	 * @param generation this generation
	 * @param drainTimeout the drain timeout
	 * @param exitGrace the exit grace
	 */
	static void start(Generation generation, Duration drainTimeout, Duration exitGrace) {
		Duration allowance = drainTimeout.plus(exitGrace);
		Thread watchdog = new Thread(() -> {
			try {
				Thread.sleep(allowance.toMillis());
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return;
			}
			// not through the logging system: it may be the very thing that hangs
			System.err.println("Generation " + generation.number() + " (pid " + generation.pid()
					+ ") has not exited within its drain timeout plus exit grace (" + allowance.toMillis()
					+ " ms; zerodowntime.drain-timeout plus zerodowntime.exit-grace): a shutdown hook or a bean's "
					+ "destroy method hangs; halting");
			System.err.flush();
			Runtime.getRuntime().halt(1);
		}, "zerodowntime-exit-deadline");
		watchdog.setDaemon(true);
		watchdog.start();
	}

}
