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
 * generation reported ready and this one is draining. Every method is thread-safe.
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

	Upgrader(Generation generation, ChildLauncher launcher, Listeners listeners, ParentLink parent,
			Duration upgradeTimeout) {
		this.generation = generation;
		this.launcher = launcher;
		this.listeners = listeners;
		this.parent = parent;
		this.upgradeTimeout = upgradeTimeout;
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
	 * {@code startedAt}, {@code durationMs}, or {@code null}) and
	 * {@code upgradesUnavailable}. The endpoint and the control socket both answer with
	 * it.
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
		Map<String, Object> status = new LinkedHashMap<>();
		status.put("generation", this.generation.number());
		status.put("pid", this.generation.pid());
		status.put("parentPid", this.generation.parentPid());
		status.put("state", state().name());
		status.put("startedAt", this.generation.startedAt());
		status.put("originalStartedAt", this.generation.originalStartedAt());
		status.put("listeners", open);
		status.put("lastUpgrade", lastDescribed);
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
			this.signals.onHangup(() -> inBackground("zerodowntime-upgrade", true,
					() -> upgradeTriggeredBy(HangupSignal.HANGUP_TRIGGER)), false);
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
	 * or timed out. On success this generation stops accepting, drains and exits in the
	 * background; on failure it serves on.
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
				// a refusal because this generation cannot upgrade is news; one because
				// an
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
			case UPGRADING -> "an upgrade is already in progress" + ((this.child != null && this.child.pid() != null)
					? " (new generation pid " + this.child.pid() + ")" : "");
			case DRAINING -> "this generation has already been upgraded and is draining";
			case STOPPING -> "this generation is stopping";
			case UNSUPPORTED -> this.unavailable;
			case SERVING -> (this.unavailable != null) ? "upgrades are not possible: " + this.unavailable
					: (this.parent != null && !this.parent.parentExited()) ? waitingForParent() : releaseProblem();
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
		return failed(startedAt, started.pid(),
				(state() == UpgradeState.STOPPING) ? "this generation was told to stop during the upgrade" : notReady);
	}

	private UpgradeOutcome failed(Instant startedAt, Long childPid, String reason) {
		return new UpgradeOutcome(UpgradeOutcome.Outcome.FAILED, reason, this.generation.number(), childPid, startedAt,
				millisSince(startedAt));
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
			// the service manager learns the new main pid before this generation drains
			// and exits
			tellParts((l) -> l.upgradeSucceeded(outcome));
			if (this.exit != null) {
				inBackground("zerodowntime-drain", false,
						() -> this.exit.drainAndExit("handed over to generation " + outcome.generation()));
			}
			tellListeners((l) -> l.upgradeSucceeded(outcome));
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
