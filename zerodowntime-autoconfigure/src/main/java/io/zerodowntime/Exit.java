package io.zerodowntime;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntSupplier;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * A generation's end, once: stop accepting and wait for the connections it holds up to
 * the drain timeout, then close those left (cutting the requests still running, counted
 * in the log), remove the PID file if it still names this generation, close the
 * application (the callback the application gave, which must not wait for requests again)
 * and exit with its code. A deadline armed first halts the process if all that has not
 * ended within the drain timeout plus the exit grace (a shutdown hook, a bean's destroy
 * method or a request thread that hangs): from the start of the drain to the exit takes
 * at most that long, whatever the application's own shutdown is set to. Its successor has
 * a backstop a little later, in case this one cannot even halt.
 */
final class Exit {

	private static final Log logger = LogFactory.getLog(Exit.class);

	/** What ends the process; behind an interface so a test never exits. */
	interface Process {

		/**
		 * The JVM's own: {@code System.exit}, {@code Runtime.halt} and a watchdog thread.
		 */
		Process JVM = new Process() {

			@Override
			public void startDeadline(Duration allowance, Runnable onDeadline) {
				Thread watchdog = new Thread(() -> {
					try {
						Thread.sleep(allowance.toMillis());
					}
					catch (InterruptedException ex) {
						Thread.currentThread().interrupt();
						return;
					}
					onDeadline.run();
				}, "zerodowntime-exit-deadline");
				watchdog.setDaemon(true);
				watchdog.start();
			}

			@Override
			public void exit(int status) {
				System.exit(status);
			}

			@Override
			public void halt(int status) {
				Runtime.getRuntime().halt(status);
			}

		};

		/**
		 * Run a task once an allowance has passed, unless the process ended before.
		 * @param allowance how long to wait
		 * @param onDeadline what to run then
		 */
		void startDeadline(Duration allowance, Runnable onDeadline);

		/**
		 * Exit, running the shutdown hooks.
		 * @param status the exit status
		 */
		void exit(int status);

		/**
		 * Exit at once, running nothing.
		 * @param status the exit status
		 */
		void halt(int status);

	}

	private final Generation generation;

	private final Listeners listeners;

	private final PidFile pidFile;

	private final Duration drainTimeout;

	private final Duration exitGrace;

	private final IntSupplier closeApplication;

	private final Process process;

	private final AtomicBoolean started = new AtomicBoolean();

	/**
	 * Create the end of a generation.
	 * @param generation this generation
	 * @param listeners its listeners, drained first
	 * @param pidFile its PID file, or {@code null}
	 * @param drainTimeout how long open connections are waited for
	 * @param exitGrace how long closing the application may take after the drain
	 * @param closeApplication closes the application and returns the exit status
	 * @param process what ends the process
	 */
	Exit(Generation generation, Listeners listeners, PidFile pidFile, Duration drainTimeout, Duration exitGrace,
			IntSupplier closeApplication, Process process) {
		this.generation = generation;
		this.listeners = listeners;
		this.pidFile = pidFile;
		this.drainTimeout = drainTimeout;
		this.exitGrace = exitGrace;
		this.closeApplication = closeApplication;
		this.process = process;
	}

	/**
	 * Drain and exit; only the first call does anything.
	 * @param why what ended this generation, for the log
	 */
	void drainAndExit(String why) {
		if (!this.started.compareAndSet(false, true)) {
			return;
		}
		Duration allowance = this.drainTimeout.plus(this.exitGrace);
		this.process.startDeadline(allowance, () -> halt(allowance));
		logger.info(describe() + " draining (" + why + "), up to " + this.drainTimeout.toMillis() + " ms");
		Listeners.Drained left = this.listeners.drain(this.drainTimeout);
		if (left.requestsCut() > 0) {
			logger.warn(describe() + ": drain timeout (" + this.drainTimeout.toMillis() + " ms) reached with "
					+ left.requestsCut() + " request(s) still running; cut them, and closed " + left.connections()
					+ " connection(s) (zerodowntime.drain-timeout)");
		}
		else if (left.connections() > 0) {
			logger.info(describe() + ": drain timeout (" + this.drainTimeout.toMillis() + " ms) reached; closed "
					+ left.connections() + " idle connection(s)");
		}
		if (this.pidFile != null) {
			try {
				this.pidFile.deleteIfOwnedBy(this.generation.pid());
			}
			catch (IOException ex) {
				logger.warn("Unable to remove PID file " + this.pidFile.path() + ": " + ex.getMessage());
			}
		}
		logger.info(describe() + " exiting");
		int code;
		try {
			code = this.closeApplication.getAsInt();
		}
		catch (Throwable ex) {
			// Every connection is served by now. An application that cannot close
			// (classes it
			// needs cannot be loaded from a jar overwritten in place) must not keep this
			// generation alive after its successor took over.
			System.err.println(describe() + ": closing the application context failed (" + ex + "); exiting anyway");
			this.process.halt(0);
			return;
		}
		this.process.exit(code);
	}

	private void halt(Duration allowance) {
		// not through the logging system: it may be the very thing that hangs
		System.err.println(describe() + " has not exited within its drain timeout plus exit grace ("
				+ allowance.toMillis() + " ms; zerodowntime.drain-timeout plus zerodowntime.exit-grace): a shutdown "
				+ "hook, a bean's destroy method or a request that ignores interruption hangs; halting");
		System.err.flush();
		this.process.halt(1);
	}

	private String describe() {
		return "Generation " + this.generation.number() + " (pid " + this.generation.pid() + ")";
	}

}
