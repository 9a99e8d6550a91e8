package io.zerodowntime;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Owns SIGHUP from the first moment the application runs ({@code Upgrader.Startup}), so a
 * SIGHUP during startup cannot kill the application (the JVM's default is to exit). Until
 * the application is ready a SIGHUP only gets a log line; once ready, it triggers an
 * upgrade. When the configuration says {@code zerodowntime.enabled=false} the JVM's own
 * handler is put back and a SIGHUP that arrived meanwhile is raised again, so a disabled
 * application behaves exactly as without the starter. The state is static because a
 * signal handler is the JVM's, one per process; only this class reads it.
 */
final class HangupSignal {

	private static final Log logger = LogFactory.getLog(HangupSignal.class);

	/**
	 * How a SIGHUP is named as an upgrade's trigger. Without the sender: the JVM's signal
	 * handler receives the kernel's siginfo but passes on only the signal number
	 * ({@code sun.misc.Signal} and the JVM's own dispatch count pending signals, nothing
	 * more), and replacing the JVM's handler natively is not safe.
	 */
	static final String HANGUP_TRIGGER = "SIGHUP (the JVM does not tell which process sent it)";

	private static SignalTrap hangup;

	private static Boolean enabled;

	private static int pendingWhileUndecided;

	private static Runnable upgradeTrigger;

	private static boolean noHangup;

	private HangupSignal() {
	}

	/**
	 * Trap SIGHUP, once per JVM; where the platform has no SIGHUP (Windows), do nothing.
	 */
	static synchronized void install() {
		if (hangup == null && !noHangup) {
			try {
				hangup = SignalTrap.install("HUP", HangupSignal::hangup);
			}
			catch (IllegalArgumentException ex) {
				noHangup = true;
			}
		}
	}

	/**
	 * Decide, once the configuration is known. Idempotent per decision.
	 * @param isEnabled whether upgrades are enabled
	 */
	static synchronized void decide(boolean isEnabled) {
		if (hangup == null || enabled != null) {
			return;
		}
		enabled = isEnabled;
		if (!isEnabled) {
			hangup.restore();
			if (pendingWhileUndecided > 0) {
				SignalTrap.raise("HUP");
			}
		}
	}

	/**
	 * Let SIGHUP trigger upgrades from now on.
	 * @param trigger starts an upgrade in the background
	 */
	static synchronized void upgradeOnHangup(Runnable trigger) {
		install();
		upgradeTrigger = trigger;
		// logged here, not when deciding: logging is not set up yet at that point
		if (hangup != null && hangup.wasIgnored()) {
			logger.warn("SIGHUP is ignored in this JVM (started under nohup or with HUP ignored), so kill -HUP "
					+ "cannot trigger an upgrade of this generation. Use POST /actuator/upgrade, or start the "
					+ "application without ignoring SIGHUP (systemd, setsid). Generations started by an upgrade "
					+ "receive SIGHUP normally.");
		}
	}

	/**
	 * Let SIGHUP reach a trigger that only refuses (where upgrades are not available),
	 * with no word about an ignored SIGHUP: there is nothing it could trigger anyway.
	 * @param trigger logs the refusal in the background
	 */
	static synchronized void refuseOnHangup(Runnable trigger) {
		install();
		upgradeTrigger = trigger;
	}

	private static void hangup() {
		Runnable trigger;
		synchronized (HangupSignal.class) {
			if (enabled == null) {
				pendingWhileUndecided++;
				return;
			}
			trigger = upgradeTrigger;
		}
		if (trigger != null) {
			trigger.run();
		}
		else {
			logger.info("SIGHUP received during startup: ignored, this generation is not ready to upgrade yet");
		}
	}

}
