package io.zerodowntime;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import java.util.function.IntSupplier;

import io.zerodowntime.server.ListenerRegistry;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * One generation of the application, through its whole life: {@link #ready() ready} (PID
 * file, accept gate, unclaimed listeners, signals, the service manager, the control
 * socket, the previous generation told), {@link #upgrade() upgrade}, drain and exit. The
 * one owner of a generation's state, and the public API for triggering an upgrade.
 *
 * <p>
 * Invariants, as in tableflip: at any time there are one or two generations, at most one
 * of them not ready; a new generation may crash during startup without harm (the old one
 * serves on); only one upgrade runs at a time; a generation whose own predecessor is
 * still draining refuses to upgrade; an outcome is {@code SUCCEEDED} only when the new
 * generation reported ready, kept the traffic through its probation, and this one is
 * draining; during the probation this one keeps every listening socket and can resume at
 * once. Every method is thread-safe.
 *
 * <p>
 * Built once per process with {@link #builder()}; the application then calls
 * {@link #ready()} when it is fully started, and gives, through
 * {@link Builder#onExit(IntSupplier)}, the callback that closes it when this generation
 * exits.
 *
 * @since 0.1.0
 */
public final class Upgrader implements AutoCloseable {

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

	/**
	 * Told first, in order: the parts of the core that follow the steps (systemd,
	 * priority).
	 */
	private final List<UpgradeListener> parts = new CopyOnWriteArrayList<>();

	private final List<UpgradeListener> upgradeListeners = new CopyOnWriteArrayList<>();

	private final List<Runnable> predecessorExitedActions = new CopyOnWriteArrayList<>();

	private final Object lock = new Object();

	private UpgradeState state = UpgradeState.STARTING;

	private boolean readyCalled;

	private Child child;

	private UpgradeOutcome lastUpgrade;

	private NextRelease release;

	private volatile String unavailable;

	private volatile Duration predecessorAllowance;

	private Signals signals = Signals.NONE;

	private PidFile pidFile;

	private ControlSocket controlSocket;

	private Exit exit;

	private boolean warmUp;

	private volatile Probation.Rules probationRules = Probation.Rules.OFF;

	/** The new generation's probation under way, or {@code null}; guarded by the lock. */
	private Probation probation;

	private Instant probationUntil;

	/** SIGTERM came during a probation; guarded by the lock. */
	private boolean stopRequested;

	/**
	 * A new generation rolled back and still draining, or {@code null}; guarded by the
	 * lock.
	 */
	private Child rolledBack;

	/**
	 * This generation's own probation: until when the previous one may roll it back, or
	 * {@code null}.
	 */
	private volatile Instant onProbationUntil;

	/**
	 * How long the upgrade that started this generation took until it was ready, if its
	 * parent said.
	 */
	private volatile Long bornInMillis;

	Upgrader(Generation generation, ChildLauncher launcher, Listeners listeners, ParentLink parent,
			Duration upgradeTimeout) {
		this.generation = generation;
		this.launcher = launcher;
		this.listeners = listeners;
		this.parent = parent;
		this.upgradeTimeout = upgradeTimeout;
		if (parent != null) {
			parent.listen(new ParentLink.Listener() {

				@Override
				public void probation(Instant until, long upgradeMillis) {
					onProbation(until, upgradeMillis);
				}

				@Override
				public void confirmed() {
					probationOver("the previous generation confirmed it");
				}

				@Override
				public void rolledBack(String reason) {
					rolledBackByParent(reason);
				}

				@Override
				public void parentExited() {
					probationOver("the previous generation has exited");
					predecessorExited();
				}

			});
		}
	}

	/**
	 * Start building the upgrader of this process.
	 * @return a builder with the defaults of the starter's properties
	 */
	public static Builder builder() {
		return new Builder();
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
	 * Set what the life around the state machine uses; the builder sets the real ones.
	 */
	void life(Signals signals, PidFile pidFile, Exit exit, boolean warmUp) {
		this.signals = signals;
		this.pidFile = pidFile;
		this.exit = exit;
		this.warmUp = warmUp;
		if (state() == UpgradeState.UNSUPPORTED) {
			// refused at once, not ignored as during a start: there is nothing to wait
			// for
			signals.onHangup(() -> inBackground("zerodowntime-upgrade", true,
					() -> upgradeTriggeredBy(HangupSignal.HANGUP_TRIGGER)), false);
		}
	}

	/** Set how a new generation is watched after it is ready; off unless set. */
	void probation(Probation.Rules rules) {
		this.probationRules = rules;
	}

	void controlSocket(ControlSocket controlSocket) {
		this.controlSocket = controlSocket;
	}

	/** Add a part of the core that follows the steps; told before every listener. */
	void addPart(UpgradeListener part) {
		this.parts.add(part);
	}

	List<UpgradeListener> parts() {
		return List.copyOf(this.parts);
	}

	ControlSocket controlSocket() {
		return this.controlSocket;
	}

	String unavailable() {
		return this.unavailable;
	}

	/**
	 * An upgrader that refuses every upgrade, for a platform where they are not
	 * available; it touches nothing native.
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
	 * Register a listener for the steps of this generation's life. Listeners are told in
	 * the order they were added, on the thread that takes the step; one that throws is
	 * logged and does not stop the others.
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
	 * Return the outcome of the last upgrade attempt, or {@code null}: the last one
	 * started, or a later refusal made while serving with no upgrade under way (the jar
	 * was overwritten in place, the predecessor is still draining).
	 * @return the last outcome
	 */
	public UpgradeOutcome lastUpgrade() {
		synchronized (this.lock) {
			return this.lastUpgrade;
		}
	}

	/**
	 * Report that this generation's readiness turned false. Before it is ready, the
	 * previous generation keeps the reason for the upgrade timeout's message; during its
	 * probation, the previous generation takes the traffic back (a rollback). Otherwise
	 * only logged. Thread-safe; never throws.
	 * @param reason what is not ready, e.g. {@code readiness state REFUSING_TRAFFIC} or
	 * {@code health group 'readiness' is DOWN: db: DOWN (Connection refused)}
	 */
	public void readinessLost(String reason) {
		boolean toParent = this.parent != null && !this.parent.parentExited()
				&& (state() == UpgradeState.STARTING || this.onProbationUntil != null);
		if (toParent) {
			this.parent.reportNotReady(reason);
		}
		if (toParent && state() != UpgradeState.STARTING) {
			logger.warn(describe() + " is not ready: " + reason + "; the previous generation (pid "
					+ this.parent.parentPid() + ") takes the traffic back");
		}
		else if (state() == UpgradeState.SERVING) {
			// nothing routes by it (no load balancer): said, not warned, and also said
			// on every stop
			logger.info(describe() + " is not ready: " + reason);
		}
	}

	/**
	 * Report how many requests this generation has answered since it was ready, and how
	 * many of them with a 5xx; passed to the previous generation during this one's
	 * probation (it may roll back on the error ratio), ignored otherwise. Cheap: call it
	 * once a second or so. Thread-safe; never throws.
	 * @param answered requests answered so far
	 * @param serverErrors how many of them with a status of 500 or more
	 */
	public void requestsAnswered(long answered, long serverErrors) {
		if (this.parent != null && this.onProbationUntil != null) {
			this.parent.reportRequests(answered, serverErrors);
		}
	}

	/**
	 * Return whether a previous generation can still roll this one back: it is on
	 * probation.
	 * @return whether this generation is on probation
	 */
	public boolean onProbation() {
		return this.onProbationUntil != null;
	}

	private void onProbation(Instant until, long upgradeMillis) {
		this.bornInMillis = upgradeMillis;
		this.onProbationUntil = until;
		if (until != null) {
			logger.info(describe() + " is on probation until " + until + ": generation "
					+ (this.generation.number() - 1) + " (pid " + this.parent.parentPid()
					+ ") takes the traffic back if this one exits or is not ready"
					+ " (or answers too many requests with a 5xx, if it judges that)");
		}
	}

	/**
	 * Run {@code action} when the generation that started this one has exited while this
	 * one serves (or upgrades): it handed the service over before it drained, so this
	 * generation is the service's main process from then on. Never in generation 1.
	 * @param action what to do; it must not throw
	 */
	void onPredecessorExited(Runnable action) {
		this.predecessorExitedActions.add(action);
	}

	private void predecessorExited() {
		UpgradeState now = state();
		if (now != UpgradeState.SERVING && now != UpgradeState.UPGRADING) {
			return;
		}
		for (Runnable action : this.predecessorExitedActions) {
			try {
				action.run();
			}
			catch (RuntimeException ex) {
				logger.warn(describe() + ": unexpected error after the previous generation exited: " + ex);
			}
		}
	}

	private void probationOver(String why) {
		if (this.onProbationUntil != null) {
			this.onProbationUntil = null;
			logger.info(describe() + " serves for good: " + why);
		}
	}

	/**
	 * The previous generation took the traffic back: drain and exit, telling nobody else.
	 */
	private void rolledBackByParent(String reason) {
		this.onProbationUntil = null;
		this.parent.cancelDeadline();
		synchronized (this.lock) {
			if (this.state != UpgradeState.SERVING) {
				return;
			}
			this.state = UpgradeState.DRAINING;
		}
		logger.warn(describe() + " was rolled back by generation " + (this.generation.number() - 1) + " (pid "
				+ this.parent.parentPid() + "), which serves again: " + reason + "; draining and exiting");
		if (this.exit != null) {
			// not generationStopping: this one is not the service's main process, and
			// must not say STOPPING=1
			inBackground("zerodowntime-drain", false, () -> this.exit
				.drainAndExit("rolled back to generation " + (this.generation.number() - 1) + ": " + reason));
		}
	}

	/** The pid of the new generation being started, or {@code null}. */
	Long childPid() {
		synchronized (this.lock) {
			return (this.child != null) ? this.child.pid() : null;
		}
	}

	/**
	 * Return the listener registry server adapters take their listening sockets from (the
	 * server-adapter SPI, {@link ListenerRegistry}), or {@code null} on a platform where
	 * upgrades are not available: there the server binds its own sockets.
	 * @return the registry, or {@code null}
	 */
	public ListenerRegistry listenerRegistry() {
		return this.listeners;
	}

	/**
	 * Describe this generation, with the field names and order of
	 * {@code GET /actuator/upgrade}: {@code generation}, {@code pid}, {@code parentPid},
	 * {@code state}, {@code startedAt}, {@code originalStartedAt}, {@code listeners}
	 * (each {@code name}, {@code address}, {@code port}, {@code inherited}),
	 * {@code lastUpgrade} ({@code outcome}, {@code reason}, {@code childPid},
	 * {@code startedAt}, {@code durationMs}, or {@code null}), {@code upgradedFrom}
	 * ({@code generation}, {@code pid}, {@code durationMs} of the upgrade that started
	 * this generation, or {@code null} in generation 1), {@code probation}
	 * ({@code until}, while the previous generation can still roll this one back, else
	 * {@code null}) and {@code upgradesUnavailable}. The endpoint and the control socket
	 * both answer with it.
	 * @return a new ordered map; values are numbers, strings, booleans, instants, lists,
	 * maps or {@code null}
	 */
	public Map<String, Object> status() {
		List<Object> open = new ArrayList<>();
		// on an unsupported platform the server binds as usual and nothing native is
		// loaded
		if (this.listeners != null) {
			for (ListenerHandle listener : this.listeners.open()) {
				Map<String, Object> described = new LinkedHashMap<>();
				described.put("name", listener.name());
				described.put("address",
						(listener.localAddress().getAddress() != null)
								? listener.localAddress().getAddress().getHostAddress()
								: listener.localAddress().getHostString());
				described.put("port", listener.localAddress().getPort());
				described.put("inherited", listener.inherited());
				open.add(described);
			}
		}
		UpgradeOutcome last = lastUpgrade();
		Map<String, Object> lastDescribed = null;
		if (last != null) {
			lastDescribed = new LinkedHashMap<>();
			lastDescribed.put("outcome", last.outcome().name());
			lastDescribed.put("reason", last.reason());
			lastDescribed.put("childPid", last.childPid());
			lastDescribed.put("startedAt", last.startedAt());
			lastDescribed.put("durationMs", last.durationMs());
		}
		Map<String, Object> upgradedFrom = null;
		if (this.generation.hasParent()) {
			upgradedFrom = new LinkedHashMap<>();
			upgradedFrom.put("generation", this.generation.number() - 1);
			upgradedFrom.put("pid", this.generation.parentPid());
			upgradedFrom.put("durationMs", this.bornInMillis);
		}
		Instant until = this.onProbationUntil;
		Map<String, Object> probationDescribed = (until != null) ? Map.of("until", until) : null;
		Map<String, Object> status = new LinkedHashMap<>();
		status.put("generation", this.generation.number());
		status.put("pid", this.generation.pid());
		status.put("parentPid", this.generation.parentPid());
		status.put("state", state().name());
		status.put("startedAt", this.generation.startedAt());
		status.put("originalStartedAt", this.generation.originalStartedAt());
		status.put("listeners", open);
		status.put("lastUpgrade", lastDescribed);
		status.put("upgradedFrom", upgradedFrom);
		status.put("probation", probationDescribed);
		status.put("upgradesUnavailable", this.unavailable);
		return status;
	}

	/**
	 * Report that the application is fully started, and make this generation the one that
	 * serves: load the upgrade path while the jar is surely intact, publish the control
	 * socket, let SIGHUP upgrade and SIGTERM drain and exit, write the PID file, open the
	 * accept gate, close the passed listeners nobody claimed, tell the service manager
	 * and the previous generation (which then drains and exits). Idempotent. Where
	 * upgrades are not available, SIGHUP only logs the refusal.
	 * @throws GenerationStartException if the PID file cannot be written or the control
	 * socket cannot be published: this generation does not become ready (and the previous
	 * one, if any, is told why and serves on)
	 */
	public void ready() {
		synchronized (this.lock) {
			if (this.readyCalled) {
				return;
			}
			this.readyCalled = true;
		}
		if (state() == UpgradeState.UNSUPPORTED) {
			return;
		}
		if (this.controlSocket != null) {
			// before anything tells the previous generation: from now on this one answers
			this.controlSocket.publish();
		}
		if (this.warmUp) {
			// before anything tells the world this generation is up: the jar may change
			// later
			warmUp();
		}
		// Live before the PID file names this generation: whoever reads it may signal at
		// once, and a SIGHUP then must upgrade (once ready), not be taken for one during
		// startup.
		CountDownLatch serving = new CountDownLatch(1);
		this.signals.onHangup(() -> inBackground("zerodowntime-upgrade", false, () -> {
			awaitUninterruptibly(serving);
			upgradeTriggeredBy(HangupSignal.HANGUP_TRIGGER);
		}), true);
		this.signals.onTerminate(() -> inBackground("zerodowntime-stop", false, this::stopAndExit));
		writePidFile();
		this.listeners.openAcceptGate();
		this.listeners.closeUnclaimed();
		serve();
		serving.countDown();
	}

	/**
	 * A generation that cannot write its PID file does not become ready: generation 1
	 * refuses to start, a later one fails the upgrade (its predecessor serves on), rather
	 * than leave the file naming a generation that is about to exit.
	 */
	private void writePidFile() {
		if (this.pidFile == null) {
			return;
		}
		try {
			this.pidFile.write(this.generation.pid());
		}
		catch (IOException ex) {
			PidFileException failure = new PidFileException(this.pidFile.path(), ex.getMessage());
			logger.error(describe() + " cannot become ready: " + failure.getMessage());
			if (this.parent != null) {
				this.parent.reportFailed(failure.getMessage());
			}
			throw failure;
		}
	}

	private void serve() {
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
	 * Load and link everything the upgrade path needs now, while the application's jar is
	 * surely intact: classes are loaded lazily from the jar, and a jar overwritten in
	 * place (instead of replaced by rename) would make the first load during an upgrade
	 * fail.
	 */
	void warmUp() {
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
	 * Start a new generation with this one's listeners and wait until it is ready, failed
	 * or timed out, then through its probation: this generation stops accepting but keeps
	 * its listening sockets, and takes the traffic back at once (a rollback) if the new
	 * one exits, is not ready any more or answers too many requests with a 5xx. On
	 * success this generation drains and exits in the background; on failure or a
	 * rollback it serves on.
	 * @return how the attempt ended: {@code SUCCEEDED} at the end of the probation,
	 * {@code ROLLED_BACK}, {@code FAILED} or {@code REFUSED}
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
				// a refusal because this generation cannot upgrade is news; one because
				// an upgrade is already under way must not hide that upgrade's own
				// outcome
				if (this.state == UpgradeState.SERVING || this.unavailable != null) {
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
		boolean stopNow;
		synchronized (this.lock) {
			stopNow = this.stopRequested && outcome.outcome() != UpgradeOutcome.Outcome.SUCCEEDED;
			this.stopRequested = false;
		}
		if (stopNow) {
			// told to stop during a probation that ended in a rollback: this generation
			// stops now
			inBackground("zerodowntime-stop", false, this::stopAndExit);
		}
		return outcome;
	}

	private String refusal() {
		if (this.unavailable != null && (this.state == UpgradeState.STARTING || this.state == UpgradeState.SERVING)) {
			// before ready too: "not ready yet" would invite a retry that can never
			// succeed
			return "upgrades are not possible: " + this.unavailable;
		}
		return switch (this.state) {
			case STARTING -> "this generation is not ready yet";
			case UPGRADING -> "an upgrade is already in progress" + ((this.child != null && this.child.pid() != null)
					? " (new generation pid " + this.child.pid()
							+ ((this.probationUntil != null) ? ", on probation until " + this.probationUntil : "") + ")"
					: "");
			case DRAINING -> "this generation has already been upgraded and is draining";
			case STOPPING -> "this generation is stopping";
			case UNSUPPORTED -> this.unavailable;
			case SERVING -> (this.parent != null && !this.parent.parentExited()) ? waitingForParent()
					: (this.rolledBack != null) ? "the rolled-back generation"
							+ ((this.rolledBack.pid() != null) ? " (pid " + this.rolledBack.pid() + ")" : "")
							+ " is still draining; it is stopped if it has not exited by its drain timeout "
							+ "plus exit grace" : releaseProblem();
		};
	}

	/**
	 * Builds the next generation's command for this upgrade: the check, the log line and
	 * the launch share it.
	 */
	private String releaseProblem() {
		if (this.release == null) {
			return null;
		}
		this.release.prepare();
		return this.release.problem();
	}

	private String waitingForParent() {
		PredecessorDeadline deadline = this.parent.deadline();
		Instant until = this.onProbationUntil;
		return "the previous generation (pid " + this.parent.parentPid() + ") has not exited yet; "
				+ ((until != null) ? "this generation is on probation until " + until + ", then it drains its requests"
						: "it is still draining its requests")
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
		long readyMillis = millisSince(startedAt);
		Probation watching = null;
		Instant until = null;
		synchronized (this.lock) {
			if (notReady == null && this.state != UpgradeState.STOPPING) {
				if (!this.probationRules.on()) {
					this.state = UpgradeState.DRAINING;
					started.keepUntilExit();
					started.startProbation(null, readyMillis);
					return succeeded(started, startedAt, readyMillis);
				}
				watching = new Probation(this.probationRules, started.pid());
				until = Instant.now().plus(this.probationRules.length());
				this.probation = watching;
				this.probationUntil = until;
			}
		}
		if (watching != null) {
			return probation(started, watching, until, startedAt, readyMillis);
		}
		started.stop(STOP_GRACE);
		return failed(startedAt, started.pid(),
				(state() == UpgradeState.STOPPING) ? "this generation was told to stop during the upgrade" : notReady);
	}

	/**
	 * The new generation is ready: stop accepting but keep every listening socket, and
	 * watch it until its probation ends; then either it keeps the traffic, or this
	 * generation takes it back.
	 */
	private UpgradeOutcome probation(Child started, Probation watching, Instant until, Instant startedAt,
			long readyMillis) {
		String trouble;
		try {
			started.watch(watching);
			int suspended = this.listeners.suspend();
			started.startProbation(until, readyMillis);
			logger.info(describe() + ": generation " + (this.generation.number() + 1) + " (pid " + started.pid()
					+ ") is ready after " + readyMillis + " ms; on probation until " + until + ": this generation "
					+ "accepts nothing new and keeps " + suspended + " listening socket(s) to take the traffic back");
			trouble = watching.await(this.probationRules.length());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			trouble = watching.trouble();
		}
		catch (RuntimeException ex) {
			// never leave this generation suspended with nobody deciding
			trouble = "unexpected error during the probation of the new generation: " + ex;
		}
		if (trouble != null) {
			return rollBack(started, trouble, startedAt);
		}
		synchronized (this.lock) {
			this.probation = null;
			this.probationUntil = null;
			this.state = UpgradeState.DRAINING;
		}
		started.confirm();
		started.keepUntilExit();
		return succeeded(started, startedAt, readyMillis);
	}

	/**
	 * Take the traffic back at once, then tell the new generation to drain and exit; stop
	 * it if it has not exited by this generation's drain timeout plus exit grace.
	 */
	private UpgradeOutcome rollBack(Child started, String reason, Instant startedAt) {
		this.listeners.resume();
		rewritePidFile();
		started.rollBack(reason);
		synchronized (this.lock) {
			this.probation = null;
			this.probationUntil = null;
			this.rolledBack = started;
		}
		Duration allowance = ((this.predecessorAllowance != null) ? this.predecessorAllowance : STOP_GRACE)
			.plus(PredecessorDeadline.MARGIN);
		inBackground("zerodowntime-rolled-back", true, () -> awaitRolledBack(started, allowance));
		return new UpgradeOutcome(UpgradeOutcome.Outcome.ROLLED_BACK, reason, this.generation.number(), started.pid(),
				startedAt, millisSince(startedAt));
	}

	private void awaitRolledBack(Child started, Duration allowance) {
		try {
			if (!started.awaitExit(allowance)) {
				logger.warn(describe() + ": the rolled-back generation (pid " + started.pid()
						+ ") has not exited within " + allowance.toMillis() + " ms; stopping it");
				started.stop(STOP_GRACE);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		finally {
			synchronized (this.lock) {
				if (this.rolledBack == started) {
					this.rolledBack = null;
				}
			}
		}
	}

	/**
	 * After a rollback the PID file names this generation again; the new one wrote it
	 * when ready.
	 */
	private void rewritePidFile() {
		if (this.pidFile == null) {
			return;
		}
		try {
			this.pidFile.write(this.generation.pid());
		}
		catch (IOException ex) {
			logger.warn(describe() + ": unable to write its pid back into " + this.pidFile.path()
					+ " after the rollback: " + ex.getMessage());
		}
	}

	private UpgradeOutcome succeeded(Child started, Instant startedAt, long readyMillis) {
		return new UpgradeOutcome(UpgradeOutcome.Outcome.SUCCEEDED, null, this.generation.number() + 1, started.pid(),
				startedAt, readyMillis);
	}

	private UpgradeOutcome failed(Instant startedAt, Long childPid, String reason) {
		return new UpgradeOutcome(UpgradeOutcome.Outcome.FAILED, reason, this.generation.number(), childPid, startedAt,
				millisSince(startedAt));
	}

	private void finish(UpgradeOutcome outcome) {
		synchronized (this.lock) {
			this.lastUpgrade = outcome;
			this.child = null;
			if (outcome.outcome() != UpgradeOutcome.Outcome.SUCCEEDED && this.state == UpgradeState.UPGRADING) {
				this.state = UpgradeState.SERVING;
			}
		}
		if (outcome.outcome() == UpgradeOutcome.Outcome.SUCCEEDED) {
			logger.info(describe() + ": generation " + outcome.generation() + " (pid " + outcome.childPid()
					+ ") is ready after " + outcome.durationMs() + " ms"
					+ (this.probationRules.on() ? " and kept the traffic through its probation" : "") + "; draining");
			// the service manager learns the new main pid before this generation drains
			// and exits
			tellParts((l) -> l.upgradeSucceeded(outcome));
			if (this.exit != null) {
				inBackground("zerodowntime-drain", false,
						() -> this.exit.drainAndExit("handed over to generation " + outcome.generation()));
			}
			tellListeners((l) -> l.upgradeSucceeded(outcome));
		}
		else if (outcome.outcome() == UpgradeOutcome.Outcome.ROLLED_BACK) {
			logger.warn(describe() + ": rolled back from generation " + (this.generation.number() + 1) + " (pid "
					+ outcome.childPid() + ") after " + outcome.durationMs() + " ms: " + outcome.reason()
					+ "; this generation serves again");
			if (this.controlSocket != null) {
				// the new generation took the path when it was ready
				this.controlSocket.republishIfReplaced();
			}
			tell((l) -> l.upgradeRolledBack(outcome));
		}
		else {
			logger.warn(describe() + ": upgrade failed after " + outcome.durationMs() + " ms: " + outcome.reason()
					+ ((state() == UpgradeState.STOPPING) ? "" : "; this generation keeps serving"));
			if (this.controlSocket != null) {
				// the new generation may have taken the path before it failed
				this.controlSocket.republishIfReplaced();
			}
			tell((l) -> l.upgradeFailed(outcome));
		}
	}

	/**
	 * Stop this generation with no successor: a new generation that is not ready yet is
	 * stopped first (SIGTERM, then SIGKILL), so nothing is left behind.
	 * @return whether this generation may drain and exit now ({@code false} when it has
	 * already handed over and is draining, or upgrades are not available on this
	 * platform)
	 */
	boolean stop() {
		Child starting;
		synchronized (this.lock) {
			if (this.state == UpgradeState.DRAINING || this.state == UpgradeState.STOPPING
					|| this.state == UpgradeState.UNSUPPORTED) {
				return false;
			}
			if (this.probation != null) {
				// the new generation keeps the traffic; the upgrade thread drains and
				// exits
				this.stopRequested = true;
				this.probation.endEarly();
				logger.info(describe() + " was told to stop during the probation of the new generation, which "
						+ "keeps the traffic");
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

	/** SIGTERM: stop with no successor, then drain and exit 0. */
	void stopAndExit() {
		if (stop() && this.exit != null) {
			this.exit.drainAndExit("SIGTERM");
		}
	}

	/**
	 * Release what this generation holds for the outside world besides its listeners: its
	 * control socket stops answering (and its path is removed if it still names this
	 * generation's socket). Called when the application closes; serving and upgrading are
	 * not otherwise affected. Idempotent.
	 */
	@Override
	public void close() {
		if (this.controlSocket != null) {
			this.controlSocket.close();
		}
	}

	/**
	 * Tell the parts, then every listener, in order; one that throws does not stop the
	 * others.
	 */
	private void tell(Consumer<UpgradeListener> step) {
		tellParts(step);
		tellListeners(step);
	}

	private void tellParts(Consumer<UpgradeListener> step) {
		tell(this.parts, step);
	}

	private void tellListeners(Consumer<UpgradeListener> step) {
		tell(this.upgradeListeners, step);
	}

	private void tell(List<UpgradeListener> listeners, Consumer<UpgradeListener> step) {
		for (UpgradeListener listener : listeners) {
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

	private static void inBackground(String name, boolean daemon, Runnable task) {
		Thread thread = new Thread(task, name);
		thread.setDaemon(daemon);
		thread.start();
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

	/**
	 * The options of the upgrader of this process, with the defaults of the starter's
	 * {@code zerodowntime.*} properties.
	 */
	public static final class Builder {

		List<String> command = List.of();

		Duration upgradeTimeout = Duration.ofSeconds(60);

		Duration drainTimeout = Duration.ofSeconds(30);

		Duration exitGrace = Duration.ofSeconds(2);

		Path pidFile;

		boolean controlSocketSet;

		Path controlSocket;

		String controlSocketGroup;

		boolean handoverPriority = true;

		int handoverNice = HandoverPriority.DEFAULT_NICE;

		Duration probation = Duration.ofSeconds(10);

		Double maxErrorRatio;

		int minRequests = 20;

		IntSupplier onExit = () -> 0;

		private Builder() {
		}

		/**
		 * Set the command that starts the next generation.
		 * @param command the command, empty for this JVM's own
		 * @return this builder
		 */
		public Builder command(List<String> command) {
			this.command = List.copyOf(command);
			return this;
		}

		/**
		 * Set how long the next generation may take to become ready.
		 * @param upgradeTimeout the timeout
		 * @return this builder
		 */
		public Builder upgradeTimeout(Duration upgradeTimeout) {
			this.upgradeTimeout = upgradeTimeout;
			return this;
		}

		/**
		 * Set how long a generation that stops accepting waits for its open connections.
		 * @param drainTimeout the timeout
		 * @return this builder
		 */
		public Builder drainTimeout(Duration drainTimeout) {
			this.drainTimeout = drainTimeout;
			return this;
		}

		/**
		 * Set how long closing the application may take beyond the drain timeout before
		 * the process halts: from the start of a drain to the exit takes at most the
		 * drain timeout plus this.
		 * @param exitGrace the grace
		 * @return this builder
		 */
		public Builder exitGrace(Duration exitGrace) {
			this.exitGrace = exitGrace;
			return this;
		}

		/**
		 * Set the PID file each generation writes when it is ready.
		 * @param pidFile the path, or {@code null} for none
		 * @return this builder
		 */
		public Builder pidFile(Path pidFile) {
			this.pidFile = pidFile;
			return this;
		}

		/**
		 * Set the control socket: bound (beside its path) when the upgrader is built,
		 * published at its path when the generation is ready.
		 * @param path the socket's path; {@code null} or blank is refused when built
		 * @param group the group that may connect too, or {@code null} for the owner only
		 * @return this builder
		 */
		public Builder controlSocket(Path path, String group) {
			this.controlSocketSet = true;
			this.controlSocket = path;
			this.controlSocketGroup = group;
			return this;
		}

		/**
		 * Set whether this generation's threads yield the CPU to a starting one.
		 * @param handoverPriority whether to lower their priority during an upgrade
		 * @return this builder
		 */
		public Builder handoverPriority(boolean handoverPriority) {
			this.handoverPriority = handoverPriority;
			return this;
		}

		/**
		 * Set the nice value this generation's threads run at while a new one starts,
		 * when {@link #handoverPriority(boolean)} is on: higher gives the new generation
		 * more of the CPU, and the requests this one still serves meanwhile less.
		 * @param nice from 1 to 19 (default 19)
		 * @return this builder
		 * @throws IllegalArgumentException if the value is out of that range
		 */
		public Builder handoverNice(int nice) {
			HandoverPriority.checkNice(nice);
			this.handoverNice = nice;
			return this;
		}

		/**
		 * Set how long the previous generation stays able to take the traffic back after
		 * a new one is ready (it stops accepting but keeps its sockets); the upgrade's
		 * outcome is known at its end.
		 * @param probation how long, zero for no probation
		 * @return this builder
		 */
		public Builder probation(Duration probation) {
			this.probation = probation;
			return this;
		}

		/**
		 * Set when a new generation on probation is rolled back for its errors.
		 * @param maxErrorRatio the share of its requests answered with a 5xx above which
		 * it is rolled back, or {@code null} not to judge errors
		 * @param minRequests how many requests it must have answered before that is
		 * judged
		 * @return this builder
		 */
		public Builder rollback(Double maxErrorRatio, int minRequests) {
			this.maxErrorRatio = maxErrorRatio;
			this.minRequests = minRequests;
			return this;
		}

		/**
		 * Set what closes the application when this generation exits (after a hand-over,
		 * or on SIGTERM, once drained). It returns the exit status; one that throws makes
		 * the process halt with 0, since every connection is served by then.
		 * @param closeApplication closes the application and returns the exit status
		 * @return this builder
		 */
		public Builder onExit(IntSupplier closeApplication) {
			this.onExit = closeApplication;
			return this;
		}

		/**
		 * Build the upgrader of this process: read what the previous generation passed,
		 * check the unit this process runs under, bind the control socket. Where upgrades
		 * are not available, the upgrader refuses every upgrade with the reason and
		 * touches nothing native.
		 * @return the upgrader
		 * @throws GenerationStartException if the passed listeners or the control socket
		 * cannot be used
		 */
		public Upgrader build() {
			return Wiring.build(this);

		}

	}

	/**
	 * What the application tells the core before its upgrader exists: the first moments
	 * of a JVM that may be a new generation. Spring Boot applications get this from the
	 * starter; other applications call these themselves, first thing.
	 */
	public static final class Startup {

		private Startup() {
		}

		/**
		 * Take SIGHUP from the JVM as early as possible, so a SIGHUP during startup
		 * cannot end the process (the JVM's default); until {@link #configured(boolean)}
		 * it is only counted. Once per JVM; does nothing where the platform has no
		 * SIGHUP.
		 */
		public static void trapHangup() {
			HangupSignal.install();
		}

		/**
		 * Say whether this process uses upgrades, once its configuration is known. If
		 * not, the JVM's own SIGHUP handler is put back, and a SIGHUP that arrived
		 * meanwhile is raised again, so the application behaves exactly as without the
		 * starter.
		 * @param upgradesEnabled whether upgrades are enabled
		 */
		public static void configured(boolean upgradesEnabled) {
			HangupSignal.decide(upgradesEnabled);
		}

		/**
		 * Tell the generation that started this process, if any, that this one failed to
		 * start, so its upgrade fails at once with this reason rather than at its
		 * timeout. Does nothing in generation 1 and where upgrades are not available.
		 * @param reason what went wrong
		 */
		public static void failed(String reason) {
			if (!Platform.current().supported()
					|| (System.getenv(Handshake.HANDSHAKE_FD) == null && !ProcessState.isRead())) {
				return;
			}
			ParentLink parent = Wiring.process().parentLink();
			if (parent != null) {
				parent.reportFailed(reason);
			}
		}

		/**
		 * Return why zero-downtime upgrades are not available on this platform, or
		 * {@code null} where they are. Loads nothing native.
		 * @return the reason, naming the platform
		 */
		public static String unavailableOnThisPlatform() {
			return Platform.current().unsupportedReason();
		}

	}

}
