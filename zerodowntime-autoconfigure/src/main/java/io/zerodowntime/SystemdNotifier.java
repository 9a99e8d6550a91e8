package io.zerodowntime;

import java.util.ArrayList;
import java.util.List;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Tells systemd (or any service manager speaking {@code sd_notify}) about each step, so a
 * {@code Type=notify} unit follows the serving generation without a wrapper:
 * <ul>
 * <li>generation 1 ready: {@code READY=1};</li>
 * <li>an upgrade starts: {@code RELOADING=1} with {@code MONOTONIC_USEC=} (what
 * {@code Type=notify-reload} waits for);</li>
 * <li>it succeeded: the old generation, still the main process, sends
 * {@code MAINPID=<new pid>} and {@code READY=1}, before it starts draining (systemd
 * accepts {@code MAINPID=} from the main process under the default
 * {@code NotifyAccess=main}, and would stop the unit if the main process exited
 * first);</li>
 * <li>it failed: {@code READY=1}, ending the reload, with a {@code STATUS=} saying
 * why;</li>
 * <li>it was rolled back during the new generation's probation: {@code MAINPID=} this
 * generation's pid (the main pid all along: {@code MAINPID=<new pid>} is sent only when
 * the probation ends, so a new generation that dies during it is not the unit's main
 * process), {@code READY=1} and a {@code STATUS=} saying why;</li>
 * <li>a generation with no successor stops: {@code STOPPING=1}.</li>
 * </ul>
 * A generation started by an upgrade sends nothing when it is ready: it is not the main
 * process yet, so systemd would reject it. Every message carries a {@code STATUS=}.
 * Nothing here ever throws: notifications are best effort.
 */
class SystemdNotifier implements UpgradeListener {

	private static final Log logger = LogFactory.getLog(SystemdNotifier.class);

	private final SdNotify sdNotify;

	private final Generation generation;

	private volatile boolean stopping;

	SystemdNotifier(SdNotify sdNotify, Generation generation) {
		this.sdNotify = sdNotify;
		this.generation = generation;
	}

	@Override
	public void generationReady(Generation generation) {
		if (generation.hasParent()) {
			this.sdNotify.warmUp();
			return;
		}
		send("READY=1", status(generation.number(), generation.pid(), "serving"));
	}

	@Override
	public void upgradeStarted(int next) {
		send("RELOADING=1", "MONOTONIC_USEC=" + SdNotify.monotonicMicros(),
				status(this.generation.number(), this.generation.pid(), "starting generation " + next));
	}

	@Override
	public void upgradeSucceeded(UpgradeOutcome outcome) {
		if (outcome.childPid() == null) {
			return;
		}
		send("MAINPID=" + outcome.childPid(), "READY=1",
				status(outcome.generation(), outcome.childPid(), "serving, upgraded from generation "
						+ this.generation.number() + " (pid " + this.generation.pid() + ")"));
	}

	@Override
	public void upgradeFailed(UpgradeOutcome outcome) {
		send("READY=1", status(this.generation.number(), this.generation.pid(),
				"serving; upgrade to generation " + (this.generation.number() + 1) + " failed: " + outcome.reason()));
	}

	@Override
	public void upgradeRolledBack(UpgradeOutcome outcome) {
		send("MAINPID=" + this.generation.pid(), "READY=1", status(this.generation.number(), this.generation.pid(),
				"serving; rolled back from generation " + (this.generation.number() + 1) + ": " + outcome.reason()));
	}

	@Override
	public void generationStopping(Generation generation) {
		send("STOPPING=1", status(generation.number(), generation.pid(), "stopping"));
		this.stopping = true;
	}

	private void send(String... assignments) {
		if (this.stopping || this.sdNotify.socket() == null) {
			return;
		}
		try {
			List<String> lines = new ArrayList<>(assignments.length);
			for (String assignment : assignments) {
				lines.add(oneLine(assignment));
			}
			this.sdNotify.send(lines);
		}
		catch (RuntimeException ex) {
			logger.warn("Unable to notify the service manager: " + ex.getMessage());
		}
	}

	static String status(int generation, long pid, String what) {
		return "STATUS=Generation " + generation + " (pid " + pid + ") " + what;
	}

	private static String oneLine(String text) {
		return text.replaceAll("[\\r\\n\\x00]+", " ");
	}

}
