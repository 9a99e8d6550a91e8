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
 *
 * <p>
 * The fd store ({@code FileDescriptorStoreMax=} in the unit): when a generation is the
 * service's main process (generation 1 when it is ready; a later one once its
 * predecessor, which moved {@code MAINPID=} to it, has exited), it stores each listener
 * it bound itself, one message each: {@code FDSTORE=1}, {@code FDNAME=<listener name>}
 * and the listener's descriptor. After a crash systemd restarts the service with them
 * ({@code LISTEN_FDS}, named), so connections wait in the backlog instead of being
 * refused. A listener that was passed in is not stored: in generation 1 it came from
 * systemd (a socket unit, which keeps it, or the fd store, which has it already), in a
 * later one from its predecessor (which stored it if it bound it). A listener closed for
 * good while this generation is the main process is removed ({@code FDSTOREREMOVE=1}).
 * Nothing here ever throws: notifications are best effort.
 */
class SystemdNotifier implements UpgradeListener {

	private static final Log logger = LogFactory.getLog(SystemdNotifier.class);

	/** The longest name the fd store accepts ({@code FDNAME_MAX}). */
	static final int MAX_FDNAME_LENGTH = 255;

	private final SdNotify sdNotify;

	private final Generation generation;

	private final Listeners listeners;

	private volatile boolean stopping;

	/** Whether this generation is the service's main process, so systemd listens. */
	private volatile boolean mainProcess;

	SystemdNotifier(SdNotify sdNotify, Generation generation) {
		this(sdNotify, generation, null);
	}

	/**
	 * Create a notifier.
	 * @param sdNotify sends the notifications
	 * @param generation this generation
	 * @param listeners its listeners, stored in the fd store; {@code null} stores nothing
	 */
	SystemdNotifier(SdNotify sdNotify, Generation generation, Listeners listeners) {
		this.sdNotify = sdNotify;
		this.generation = generation;
		this.listeners = listeners;
		if (listeners != null) {
			listeners.onClosed(this::listenerClosed);
		}
	}

	@Override
	public void generationReady(Generation generation) {
		if (generation.hasParent()) {
			this.sdNotify.warmUp();
			return;
		}
		this.mainProcess = true;
		send("READY=1", status(generation.number(), generation.pid(), "serving"));
		storeListeners();
	}

	/**
	 * This generation became the service's main process: its predecessor moved
	 * {@code MAINPID=} to it, then exited. Store its listeners.
	 */
	void becameMainProcess() {
		this.mainProcess = true;
		storeListeners();
	}

	/**
	 * Store every listener this generation bound itself in the service manager's fd
	 * store, one message each.
	 */
	void storeListeners() {
		if (this.listeners == null || !this.mainProcess || this.stopping || this.sdNotify.socket() == null) {
			return;
		}
		for (ListenerHandle listener : this.listeners.open()) {
			if (listener.inherited() || listener.fd() < 0 || listener.isClosed()) {
				continue;
			}
			String problem = fdNameProblem(listener.name());
			if (problem != null) {
				logger.warn("Listener " + listener + " is not stored in the service manager's fd store: its name "
						+ problem + "; rename the connector");
				continue;
			}
			if (send(new int[] { listener.fd() }, "FDSTORE=1", "FDNAME=" + listener.name())
					&& logger.isDebugEnabled()) {
				logger.debug("Stored listener " + listener + " in the service manager's fd store");
			}
		}
	}

	private void listenerClosed(ListenerHandle listener) {
		if (!this.mainProcess || this.stopping || this.sdNotify.socket() == null
				|| fdNameProblem(listener.name()) != null) {
			return;
		}
		// only entries of the fd store go: a socket unit's listener of that name stays
		send(new int[0], "FDSTOREREMOVE=1", "FDNAME=" + listener.name());
	}

	/** Why systemd would refuse {@code name} as an {@code FDNAME=}, or {@code null}. */
	static String fdNameProblem(String name) {
		if (name == null || name.isEmpty()) {
			return "is empty";
		}
		if (name.length() > MAX_FDNAME_LENGTH) {
			return "is longer than " + MAX_FDNAME_LENGTH + " characters";
		}
		for (int i = 0; i < name.length(); i++) {
			char c = name.charAt(i);
			if (c < 0x21 || c > 0x7e || c == ':') {
				return "'" + name + "' has a character systemd refuses (only printable ASCII without spaces or ':')";
			}
		}
		return null;
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
		this.mainProcess = false;
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
		send(new int[0], assignments);
	}

	private boolean send(int[] fds, String... assignments) {
		if (this.stopping || this.sdNotify.socket() == null) {
			return false;
		}
		try {
			List<String> lines = new ArrayList<>(assignments.length);
			for (String assignment : assignments) {
				lines.add(oneLine(assignment));
			}
			return this.sdNotify.send(lines, fds);
		}
		catch (RuntimeException ex) {
			logger.warn("Unable to notify the service manager: " + ex.getMessage());
			return false;
		}
	}

	static String status(int generation, long pid, String what) {
		return "STATUS=Generation " + generation + " (pid " + pid + ") " + what;
	}

	private static String oneLine(String text) {
		return text.replaceAll("[\\r\\n\\x00]+", " ");
	}

}
