package io.zerodowntime.autoconfigure;

import java.util.function.Consumer;
import java.util.function.Supplier;

import io.zerodowntime.GenerationStartException;
import io.zerodowntime.Upgrader;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationEvent;
import org.springframework.context.event.SmartApplicationListener;

/**
 * Translates the application's readiness into {@link Upgrader#ready()} (the core then
 * makes this generation the one that serves: PID file, accept gate, signals, service
 * manager, control socket, the previous generation told), gated: ready only once the
 * application is ready ({@code ApplicationReadyEvent}), its readiness state is
 * {@code ACCEPTING_TRAFFIC}, and the readiness health group, if any, is {@code UP}. Until
 * then each new reason is reported ({@link Upgrader#readinessLost(String)}: a previous
 * generation quotes the last one if its upgrade times out). During this generation's
 * probation, a readiness lost and the request counts are reported, so the previous
 * generation can take the traffic back.
 */
class GenerationReadyListener implements SmartApplicationListener {

	private static final Log logger = LogFactory.getLog(GenerationReadyListener.class);

	/** How often readiness is checked while it is awaited, and during a probation. */
	static final long CHECK_MILLIS = 250;

	/**
	 * How long after ready a probation may take to be announced by the previous
	 * generation.
	 */
	static final long PROBATION_ANNOUNCE_MILLIS = 5000;

	private final Target upgrader;

	private final Supplier<ReadinessState> readiness;

	private final Supplier<String> healthProblem;

	private final Supplier<long[]> requests;

	private final Consumer<GenerationStartException> exitApplication;

	private volatile boolean applicationReady;

	/**
	 * The last readiness state published; it may reach this listener before the
	 * availability bean.
	 */
	private volatile ReadinessState published;

	private volatile boolean reported;

	private volatile boolean lostReported;

	private volatile boolean waiting;

	/**
	 * Create the listener.
	 * @param upgrader the upgrader of this process ({@link Target#of(Upgrader)})
	 * @param readiness the application's readiness state
	 * @param healthProblem why the readiness health group is not {@code UP}, or
	 * {@code null} when it is (or there is none)
	 * @param requests the requests answered so far and how many with a 5xx, or
	 * {@code null} when they are not observed
	 * @param exitApplication ends the application (with a failure analysis and a non-zero
	 * status) when it cannot become ready once the start is over
	 */
	GenerationReadyListener(Target upgrader, Supplier<ReadinessState> readiness, Supplier<String> healthProblem,
			Supplier<long[]> requests, Consumer<GenerationStartException> exitApplication) {
		this.upgrader = upgrader;
		this.readiness = readiness;
		this.healthProblem = healthProblem;
		this.requests = requests;
		this.exitApplication = exitApplication;
	}

	@Override
	public boolean supportsEventType(Class<? extends ApplicationEvent> eventType) {
		return ApplicationReadyEvent.class.isAssignableFrom(eventType)
				|| AvailabilityChangeEvent.class.isAssignableFrom(eventType);
	}

	@Override
	public void onApplicationEvent(ApplicationEvent event) {
		if (event instanceof ApplicationReadyEvent ready) {
			if (ready.getApplicationContext().getParent() == null) {
				this.applicationReady = true;
				// Boot says ACCEPTING_TRAFFIC right after this event; an application
				// whose
				// state is already that (set by itself) gets no second event
				if (this.readiness.get() == ReadinessState.ACCEPTING_TRAFFIC) {
					check();
				}
			}
		}
		else if (event instanceof AvailabilityChangeEvent<?> change && change.getState() instanceof ReadinessState state
				&& isRoot(change.getSource())) {
			this.published = state;
			if (state == ReadinessState.ACCEPTING_TRAFFIC && this.applicationReady) {
				check();
			}
			else if (state == ReadinessState.REFUSING_TRAFFIC && this.reported) {
				lost("readiness state " + state);
			}
		}
	}

	private static boolean isRoot(Object source) {
		return !(source instanceof ApplicationContext context) || context.getParent() == null;
	}

	/**
	 * On the thread of the event, as before the gate: a failure to become ready fails the
	 * start.
	 */
	private synchronized void check() {
		if (this.reported || this.waiting) {
			return;
		}
		String problem = problem();
		if (problem == null) {
			becomeReady();
			return;
		}
		this.waiting = true;
		this.upgrader.readinessLost(problem);
		logger.info("Not ready yet: " + problem + "; waiting");
		Thread waiter = new Thread(() -> awaitReadiness(problem), "zerodowntime-readiness");
		waiter.setDaemon(true);
		waiter.start();
	}

	private void becomeReady() {
		this.upgrader.ready();
		this.reported = true;
		if (this.upgrader.hasParent()) {
			Thread watch = new Thread(this::watchProbation, "zerodowntime-probation");
			watch.setDaemon(true);
			watch.start();
		}
	}

	private void awaitReadiness(String first) {
		String last = first;
		try {
			while (true) {
				Thread.sleep(CHECK_MILLIS);
				String problem = problem();
				if (problem == null) {
					break;
				}
				if (!problem.equals(last)) {
					this.upgrader.readinessLost(problem);
					logger.info("Not ready yet: " + problem + "; waiting");
					last = problem;
				}
			}
			synchronized (this) {
				this.waiting = false;
				becomeReady();
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		catch (GenerationStartException ex) {
			logger.error("This generation cannot become ready: " + ex.getMessage() + "; exiting");
			this.exitApplication.accept(ex);
		}
	}

	/**
	 * While a previous generation can still take the traffic back: report a readiness
	 * lost (once) and the request counts (once a second).
	 */
	private void watchProbation() {
		long readyAt = System.nanoTime();
		int round = 0;
		try {
			while (this.upgrader.onProbation()
					|| System.nanoTime() - readyAt < PROBATION_ANNOUNCE_MILLIS * 1_000_000L) {
				String problem = problem();
				if (problem != null) {
					lost(problem);
				}
				if (this.requests != null && round++ % 4 == 0) {
					long[] counts = this.requests.get();
					this.upgrader.requestsAnswered(counts[0], counts[1]);
				}
				Thread.sleep(CHECK_MILLIS);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private void lost(String problem) {
		if (!this.lostReported) {
			this.lostReported = true;
			this.upgrader.readinessLost(problem);
		}
	}

	private String problem() {
		ReadinessState state = (this.published != null) ? this.published : this.readiness.get();
		if (state != ReadinessState.ACCEPTING_TRAFFIC) {
			return "readiness state " + state;
		}
		try {
			return (this.healthProblem != null) ? this.healthProblem.get() : null;
		}
		catch (RuntimeException ex) {
			return "health could not be checked: " + ex;
		}
	}

	/** What this listener calls on the {@link Upgrader}. */
	interface Target {

		void ready();

		void readinessLost(String reason);

		void requestsAnswered(long answered, long serverErrors);

		boolean onProbation();

		boolean hasParent();

		static Target of(Upgrader upgrader) {
			return new Target() {

				@Override
				public void ready() {
					upgrader.ready();
				}

				@Override
				public void readinessLost(String reason) {
					upgrader.readinessLost(reason);
				}

				@Override
				public void requestsAnswered(long answered, long serverErrors) {
					upgrader.requestsAnswered(answered, serverErrors);
				}

				@Override
				public boolean onProbation() {
					return upgrader.onProbation();
				}

				@Override
				public boolean hasParent() {
					return upgrader.generation().hasParent();
				}

			};
		}

	}

}
