package io.zerodowntime.autoconfigure;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

import io.zerodowntime.Generation;
import io.zerodowntime.Listeners;
import io.zerodowntime.PidFile;
import io.zerodowntime.SignalTrap;
import io.zerodowntime.UpgradeListener;
import io.zerodowntime.UpgradeOutcome;
import io.zerodowntime.Upgrader;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Drives a generation through its life in a Spring application: once the application is
 * ready it writes the PID file, opens the accept gate, closes unclaimed passed listeners,
 * tells the previous generation, and traps SIGHUP (upgrade) and SIGTERM (drain and exit
 * 0). After a successful upgrade, or on SIGTERM, it stops accepting, waits for the
 * connections it holds, closes the context and exits.
 */
class GenerationLifecycle implements ApplicationListener<ApplicationReadyEvent>, UpgradeListener {

	private static final Log logger = LogFactory.getLog(GenerationLifecycle.class);

	private final Upgrader upgrader;

	private final ZeroDowntimeProperties properties;

	private volatile ConfigurableApplicationContext context;

	GenerationLifecycle(Upgrader upgrader, ZeroDowntimeProperties properties) {
		this(upgrader, properties, null);
	}

	GenerationLifecycle(Upgrader upgrader, ZeroDowntimeProperties properties, UpgradeListener toldFirst) {
		this.upgrader = upgrader;
		this.properties = properties;
		if (toldFirst != null) {
			// listeners are told in the order added: the service manager must learn the new
			// main pid before this generation drains and exits (SystemdNotifier)
			upgrader.addListener(toldFirst);
		}
		upgrader.addListener(this);
	}

	@Override
	public void onApplicationEvent(ApplicationReadyEvent event) {
		if (this.context != null || event.getApplicationContext().getParent() != null) {
			return;
		}
		this.context = event.getApplicationContext();
		Generation generation = this.upgrader.generation();
		// before anything tells the world this generation is up: the jar may change later
		this.upgrader.warmUp();
		// Live before the PID file names this generation: whoever reads it may signal at
		// once, and a SIGHUP then must upgrade (once ready), not be taken for one during startup.
		CountDownLatch ready = new CountDownLatch(1);
		StartupSignals.upgradeOnHangup(() -> inBackground("zerodowntime-upgrade", () -> {
			awaitUninterruptibly(ready);
			this.upgrader.upgradeTriggeredBy(StartupSignals.HANGUP_TRIGGER);
		}));
		SignalTrap.install("TERM", () -> inBackground("zerodowntime-stop", this::stopWithoutSuccessor));
		writePidFile(generation);
		Listeners listeners = Listeners.get();
		listeners.openAcceptGate();
		listeners.closeUnclaimed();
		this.upgrader.ready();
		ready.countDown();
	}

	/**
	 * A generation that cannot write its PID file does not become ready: generation 1
	 * refuses to start, a later one fails the upgrade (its predecessor serves on), rather
	 * than leave the file naming a generation that is about to exit.
	 */
	private void writePidFile(Generation generation) {
		if (this.properties.getPidFile() == null) {
			return;
		}
		try {
			new PidFile(this.properties.getPidFile()).write(generation.pid());
		}
		catch (IOException ex) {
			PidFileException failure = new PidFileException(this.properties.getPidFile(), ex.getMessage());
			logger.error("Generation " + generation.number() + " (pid " + generation.pid() + ") cannot become ready: "
					+ failure.getMessage());
			// a failure after startup is not an ApplicationFailedEvent: tell the predecessor here
			Upgrader.reportStartupFailure(failure.getMessage());
			throw failure;
		}
	}

	private static void awaitUninterruptibly(CountDownLatch latch) {
		boolean interrupted = false;
		while (true) {
			try {
				latch.await();
				break;
			}
			catch (InterruptedException ex) {
				interrupted = true;
			}
		}
		if (interrupted) {
			Thread.currentThread().interrupt();
		}
	}

	@Override
	public void upgradeSucceeded(UpgradeOutcome outcome) {
		inBackground("zerodowntime-drain", () -> drainAndExit("handed over to generation " + outcome.generation()));
	}

	private void stopWithoutSuccessor() {
		if (this.upgrader.stop()) {
			drainAndExit("SIGTERM");
		}
	}

	private void drainAndExit(String why) {
		Generation generation = this.upgrader.generation();
		Duration timeout = this.properties.getDrainTimeout();
		ExitDeadline.start(generation, timeout, this.properties.getExitGrace());
		logger.info("Generation " + generation.number() + " (pid " + generation.pid() + ") draining (" + why
				+ "), up to " + timeout.toMillis() + " ms");
		int left = 0;
		try {
			left = Listeners.get().drain(timeout);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		if (left > 0) {
			logger.warn("Generation " + generation.number() + " (pid " + generation.pid() + "): " + left
					+ " connection(s) still open after the drain timeout; closing them");
		}
		if (this.properties.getPidFile() != null) {
			try {
				new PidFile(this.properties.getPidFile()).deleteIfOwnedBy(generation.pid());
			}
			catch (IOException ex) {
				logger.warn("Unable to remove PID file " + this.properties.getPidFile() + ": " + ex.getMessage());
			}
		}
		logger.info("Generation " + generation.number() + " (pid " + generation.pid() + ") exiting");
		ConfigurableApplicationContext context = this.context;
		int code = 0;
		try {
			code = (context != null) ? SpringApplication.exit(context, () -> 0) : 0;
		}
		catch (Throwable ex) {
			// Every connection is served by now. A context that cannot close (classes it
			// needs cannot be loaded from a jar overwritten in place) must not keep this
			// generation alive after its successor took over.
			System.err.println("Generation " + generation.number() + " (pid " + generation.pid()
					+ "): closing the application context failed (" + ex + "); exiting anyway");
			Runtime.getRuntime().halt(0);
		}
		System.exit(code);
	}

	private static void inBackground(String name, Runnable task) {
		Thread thread = new Thread(task, name);
		thread.setDaemon(false);
		thread.start();
	}

}
