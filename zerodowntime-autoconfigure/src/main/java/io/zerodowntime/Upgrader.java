package io.zerodowntime;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * The upgrade state machine of one generation, and the public API for triggering an
 * upgrade.
 *
 * <p>
 * Invariants, as in tableflip: at any time there are one or two generations, at most one
 * of them not ready; a new generation may crash during startup without harm (the old one
 * serves on); only one upgrade runs at a time; a generation whose own predecessor is still
 * draining refuses to upgrade.
 *
 * @since 0.1.0
 */
public final class Upgrader {

	private static final Log logger = LogFactory.getLog(Upgrader.class);

	private static final Duration STOP_GRACE = Duration.ofSeconds(5);

	/**
	 * The library classes a generation first loads after it is ready, on the upgrade,
	 * drain and exit paths; written by {@code capture-upgrade-path-classes.sh}.
	 */
	static final String UPGRADE_PATH_CLASSES = "META-INF/zerodowntime/upgrade-path.classes";

	private final Generation generation;

	private final ChildLauncher launcher;

	private final Listeners listeners;

	private final ParentLink parent;

	private final Duration upgradeTimeout;

	private final List<UpgradeListener> upgradeListeners = new CopyOnWriteArrayList<>();

	private final Object lock = new Object();

	private UpgradeState state = UpgradeState.STARTING;

	private Child child;

	private UpgradeOutcome lastUpgrade;

	private NextRelease release;

	private volatile String unavailable;

	private volatile Duration predecessorAllowance;

	Upgrader(Generation generation, ChildLauncher launcher, Listeners listeners, ParentLink parent,
			Duration upgradeTimeout) {
		this.generation = generation;
		this.launcher = launcher;
		this.listeners = listeners;
		this.parent = parent;
		this.upgradeTimeout = upgradeTimeout;
	}

	/**
	 * Create the upgrader of this process.
	 * @param command the command that starts the next generation, empty for this JVM's own
	 * @param upgradeTimeout how long the next generation may take to become ready
	 * @return the upgrader
	 */
	public static Upgrader create(List<String> command, Duration upgradeTimeout) {
		return create(command, upgradeTimeout, null);
	}

	/**
	 * Create the upgrader of this process.
	 * @param command the command that starts the next generation, empty for this JVM's own
	 * @param upgradeTimeout how long the next generation may take to become ready
	 * @param predecessorAllowance how long the previous generation, once told to hand
	 * over, may take to drain and exit before this one kills it (its drain timeout plus exit
	 * grace), or {@code null} for no limit
	 * @return the upgrader
	 */
	public static Upgrader create(List<String> command, Duration upgradeTimeout, Duration predecessorAllowance) {
		String unsupported = Platform.current().unsupportedReason();
		if (unsupported != null) {
			return unsupported(Generation.current(), unsupported);
		}
		ProcessState process = ProcessState.get();
		NextRelease release = NextRelease.ofThisProcess(command);
		Upgrader upgrader = new Upgrader(process.generation(),
				new NativeChildLauncher(Os.posix(), release, process.generation()), process.listeners(),
				process.parentLink(), upgradeTimeout);
		upgrader.predecessorAllowance = predecessorAllowance;
		if (process.parentLink() == null) {
			// a later generation's parent is PID 1 by design (double fork): only generation 1's counts
			upgrader.unavailable(InitProcess.problem());
		}
		upgrader.checkRelease(release);
		logger.info("Generation " + process.generation().number() + " (pid " + process.generation().pid()
				+ ") will start the next generation " + release.describe() + "; working directory from "
				+ release.directory().source());
		return upgrader;
	}

	void unavailable(String reason) {
		this.unavailable = reason;
		if (reason != null) {
			logger.warn(describe() + " serves normally, but cannot be upgraded: " + reason);
		}
	}

	void predecessorAllowance(Duration allowance) {
		this.predecessorAllowance = allowance;
	}

	/**
	 * Return why this generation can never be upgraded, or {@code null} if it can: every
	 * upgrade attempt is refused with this reason.
	 * @return the reason
	 */
	public String unavailable() {
		return this.unavailable;
	}

	/**
	 * An upgrader that refuses every upgrade, for a platform where they are not available;
	 * it touches nothing native.
	 */
	static Upgrader unsupported(Generation generation, String reason) {
		Upgrader upgrader = new Upgrader(generation, null, null, null, Duration.ZERO);
		upgrader.state = UpgradeState.UNSUPPORTED;
		upgrader.unavailable = reason;
		return upgrader;
	}

	/**
	 * Check, before each upgrade, that the next generation can start from this release,
	 * and say where it starts.
	 * @param release the release
	 */
	void checkRelease(NextRelease release) {
		this.release = release;
	}

	/**
	 * Tell the generation that started this process, if any, that this one failed to
	 * start, so it learns why at once rather than from the end of the handshake.
	 * @param reason what went wrong
	 */
	public static void reportStartupFailure(String reason) {
		if (!Platform.current().supported()
				|| (System.getenv(Handshake.HANDSHAKE_FD) == null && !ProcessState.isRead())) {
			return;
		}
		ParentLink parent = ProcessState.get().parentLink();
		if (parent != null) {
			parent.reportFailed(reason);
		}
	}

	/**
	 * Load and link everything the upgrade path needs now, while the application's jar is
	 * surely intact: classes are loaded lazily from the jar, and a jar overwritten in place
	 * (instead of replaced by rename) would make the first load during an upgrade fail.
	 */
	public void warmUp() {
		if (this.launcher == null) {
			return;
		}
		try {
			// every class of the starter (the switch map of refusal() included), then the
			// library classes of the endpoint, drain and exit paths
			ClassPreloader.loadPackageOf(Upgrader.class);
			ClassPreloader.loadListed(Upgrader.class.getClassLoader(), UPGRADE_PATH_CLASSES);
		}
		catch (IOException | RuntimeException ex) {
			logger.warn("Unable to preload the upgrade path's classes: " + ex.getMessage());
		}
		this.launcher.warmUp();
	}

	/**
	 * Register a listener for upgrade steps.
	 * @param listener the listener
	 */
	public void addListener(UpgradeListener listener) {
		this.upgradeListeners.add(listener);
	}

	/**
	 * Return this generation.
	 * @return the generation
	 */
	public Generation generation() {
		return this.generation;
	}

	/**
	 * Return what this generation is doing.
	 * @return the state
	 */
	public UpgradeState state() {
		synchronized (this.lock) {
			return this.state;
		}
	}

	/**
	 * Return the outcome of the last upgrade attempt, or {@code null}: the last one started,
	 * or a later refusal made while serving with no upgrade under way (the jar was
	 * overwritten in place, the predecessor is still draining).
	 * @return the last outcome
	 */
	public UpgradeOutcome lastUpgrade() {
		synchronized (this.lock) {
			return this.lastUpgrade;
		}
	}

	/**
	 * Return the pid of the new generation being started, or {@code null}.
	 * @return the child's pid
	 */
	public Long childPid() {
		synchronized (this.lock) {
			return (this.child != null) ? this.child.pid() : null;
		}
	}

	/**
	 * Report that this generation is fully started: tells the previous generation, if
	 * any, that it can hand over. Idempotent.
	 */
	public void ready() {
		synchronized (this.lock) {
			if (this.state != UpgradeState.STARTING) {
				return;
			}
			this.state = UpgradeState.SERVING;
		}
		if (this.parent != null) {
			this.parent.reportReady();
			Duration allowance = this.predecessorAllowance;
			if (allowance != null) {
				this.parent.expectExitWithin(allowance);
			}
		}
		tell((l) -> l.generationReady(this.generation));
		logger.info(describe() + " is ready, originally started " + this.generation.originalStartedAt() + ", up "
				+ Duration.between(this.generation.originalStartedAt(), Instant.now()).toSeconds() + " s overall");
	}

	/**
	 * Start a new generation with this one's listeners and wait until it is ready, failed
	 * or timed out. On success this generation must stop accepting, drain and exit; the
	 * caller does that ({@link UpgradeListener#upgradeSucceeded}).
	 * @return how the attempt ended
	 */
	public UpgradeOutcome upgrade() {
		return upgradeTriggeredBy(null);
	}

	/**
	 * Start an upgrade as {@link #upgrade()} does, saying in the log what triggered it.
	 * @param trigger what asked for the upgrade, e.g. {@code SIGHUP} or
	 * {@code POST /actuator/upgrade from 127.0.0.1}; {@code null} when not known
	 * @return how the attempt ended
	 */
	public UpgradeOutcome upgradeTriggeredBy(String trigger) {
		String by = (trigger != null) ? " (trigger: " + trigger + ")" : "";
		Instant startedAt = Instant.now();
		String refusal;
		synchronized (this.lock) {
			refusal = refusal();
			if (refusal == null) {
				this.state = UpgradeState.UPGRADING;
			}
		}
		if (refusal != null) {
			logger.info(describe() + " refused an upgrade" + by + ": " + refusal);
			UpgradeOutcome outcome = UpgradeOutcome.refused(refusal, this.generation.number());
			synchronized (this.lock) {
				// a refusal because this generation cannot upgrade is news; one because an
				// upgrade is already under way must not hide that upgrade's own outcome
				if (this.state == UpgradeState.SERVING || this.state == UpgradeState.UNSUPPORTED) {
					this.lastUpgrade = outcome;
				}
			}
			tell((l) -> l.upgradeRefused(outcome));
			return outcome;
		}
		logger.info(describe() + " is starting generation " + (this.generation.number() + 1)
				+ ((this.release != null) ? " " + this.release.describe() : "") + by);
		UpgradeOutcome outcome;
		try {
			tell((l) -> l.upgradeStarted(this.generation.number() + 1));
			outcome = attempt(startedAt);
		}
		catch (Throwable ex) {
			outcome = failed(startedAt, null, "unexpected error: " + ex);
		}
		finish(outcome);
		return outcome;
	}

	private String refusal() {
		return switch (this.state) {
			case STARTING -> "this generation is not ready yet";
			case UPGRADING -> "an upgrade is already in progress"
					+ ((this.child != null && this.child.pid() != null) ? " (new generation pid " + this.child.pid() + ")"
							: "");
			case DRAINING -> "this generation has already been upgraded and is draining";
			case STOPPING -> "this generation is stopping";
			case UNSUPPORTED -> this.unavailable;
			case SERVING -> (this.unavailable != null) ? "upgrades are not possible: " + this.unavailable
					: (this.parent != null && !this.parent.parentExited()) ? waitingForParent()
							: (this.release != null) ? this.release.problem() : null;
		};
	}

	private String waitingForParent() {
		PredecessorDeadline deadline = this.parent.deadline();
		return "the previous generation (pid " + this.parent.parentPid()
				+ ") has not exited yet; it is still draining its requests"
				+ ((deadline != null) ? "; " + deadline.describe() : "");
	}

	private UpgradeOutcome attempt(Instant startedAt) {
		List<ListenerHandle> passed = this.listeners.open().stream().filter((l) -> l.fd() >= 0).toList();
		Child started;
		try {
			started = this.launcher.launch(passed, this.generation.number() + 1);
		}
		catch (IOException ex) {
			return failed(startedAt, null, ex.getMessage());
		}
		synchronized (this.lock) {
			this.child = started;
			if (this.state == UpgradeState.STOPPING) {
				started.stop(STOP_GRACE);
				return failed(startedAt, started.pid(), "this generation was told to stop during the upgrade");
			}
		}
		String notReady;
		try {
			notReady = started.awaitReady(this.upgradeTimeout);
		}
		catch (InterruptedException ex) {
			started.stop(STOP_GRACE);
			Thread.currentThread().interrupt();
			return failed(startedAt, started.pid(), "interrupted while waiting for the new generation");
		}
		catch (RuntimeException | Error ex) {
			started.stop(STOP_GRACE);
			return failed(startedAt, started.pid(), "unexpected error while waiting for the new generation: " + ex);
		}
		synchronized (this.lock) {
			if (notReady == null && this.state != UpgradeState.STOPPING) {
				this.state = UpgradeState.DRAINING;
				started.keepUntilExit();
				return new UpgradeOutcome(UpgradeOutcome.Outcome.SUCCEEDED, null, this.generation.number() + 1,
						started.pid(), startedAt, millisSince(startedAt));
			}
		}
		started.stop(STOP_GRACE);
		return failed(startedAt, started.pid(), (state() == UpgradeState.STOPPING)
				? "this generation was told to stop during the upgrade" : notReady);
	}

	private UpgradeOutcome failed(Instant startedAt, Long childPid, String reason) {
		return new UpgradeOutcome(UpgradeOutcome.Outcome.FAILED, reason, this.generation.number(), childPid,
				startedAt, millisSince(startedAt));
	}

	private void finish(UpgradeOutcome outcome) {
		synchronized (this.lock) {
			this.lastUpgrade = outcome;
			this.child = null;
			if (outcome.outcome() == UpgradeOutcome.Outcome.FAILED && this.state == UpgradeState.UPGRADING) {
				this.state = UpgradeState.SERVING;
			}
		}
		if (outcome.outcome() == UpgradeOutcome.Outcome.SUCCEEDED) {
			logger.info(describe() + ": generation " + outcome.generation() + " (pid " + outcome.childPid()
					+ ") is ready after " + outcome.durationMs() + " ms; draining");
			tell((l) -> l.upgradeSucceeded(outcome));
		}
		else {
			logger.warn(describe() + ": upgrade failed after " + outcome.durationMs() + " ms: " + outcome.reason()
					+ ((state() == UpgradeState.STOPPING) ? "" : "; this generation keeps serving"));
			tell((l) -> l.upgradeFailed(outcome));
		}
	}

	/**
	 * Stop this generation with no successor: a new generation that is not ready yet is
	 * stopped first (SIGTERM, then SIGKILL), so nothing is left behind.
	 * @return whether this generation may drain and exit now ({@code false} when it has
	 * already handed over and is draining, or upgrades are not available on this platform)
	 */
	public boolean stop() {
		Child starting;
		synchronized (this.lock) {
			if (this.state == UpgradeState.DRAINING || this.state == UpgradeState.STOPPING
					|| this.state == UpgradeState.UNSUPPORTED) {
				return false;
			}
			this.state = UpgradeState.STOPPING;
			starting = this.child;
		}
		logger.info(describe() + " is stopping");
		tell((l) -> l.generationStopping(this.generation));
		if (starting != null) {
			logger.info(describe() + ": stopping the new generation that is not ready yet"
					+ ((starting.pid() != null) ? " (pid " + starting.pid() + ")" : ""));
			starting.stop(STOP_GRACE);
		}
		return true;
	}

	/** Tell every listener, in order; one that throws is logged and does not stop the others. */
	private void tell(java.util.function.Consumer<UpgradeListener> step) {
		for (UpgradeListener listener : this.upgradeListeners) {
			try {
				step.accept(listener);
			}
			catch (RuntimeException ex) {
				logger.error(describe() + ": upgrade listener " + listener.getClass().getName() + " failed", ex);
			}
		}
	}

	private String describe() {
		return "Generation " + this.generation.number() + " (pid " + this.generation.pid() + ")";
	}

	private static long millisSince(Instant start) {
		return Duration.between(start, Instant.now()).toMillis();
	}

}
