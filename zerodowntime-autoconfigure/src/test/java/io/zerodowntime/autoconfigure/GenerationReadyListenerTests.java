package io.zerodowntime.autoconfigure;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.support.GenericApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link GenerationReadyListener}: a generation is ready only once the
 * application is ready, accepting traffic and its readiness health group is UP; during
 * its probation a readiness lost and the request counts are reported.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class GenerationReadyListenerTests {

	private static final Duration AWAIT = Duration.ofSeconds(10);

	private final GenericApplicationContext context = new GenericApplicationContext();

	private final RecordingTarget upgrader = new RecordingTarget();

	private volatile ReadinessState readiness = ReadinessState.REFUSING_TRAFFIC;

	private volatile String healthProblem;

	private final AtomicInteger exits = new AtomicInteger();

	@AfterEach
	void stopWatching() {
		this.upgrader.probation = false;
		this.upgrader.parent = false;
	}

	@Test
	void readyOnlyOnceTheApplicationIsReadyAndAcceptingTraffic() {
		GenerationReadyListener listener = listener(null);
		listener.onApplicationEvent(applicationReady());
		assertThat(this.upgrader.calls).as("Boot says ACCEPTING_TRAFFIC after ApplicationReadyEvent").isEmpty();
		this.readiness = ReadinessState.ACCEPTING_TRAFFIC;
		listener.onApplicationEvent(new AvailabilityChangeEvent<>(this.context, ReadinessState.ACCEPTING_TRAFFIC));
		assertThat(this.upgrader.calls).containsExactly("ready");
		listener.onApplicationEvent(new AvailabilityChangeEvent<>(this.context, ReadinessState.ACCEPTING_TRAFFIC));
		assertThat(this.upgrader.calls).containsExactly("ready");
	}

	@Test
	void acceptingTrafficBeforeTheApplicationIsReadyIsNotReady() {
		GenerationReadyListener listener = listener(null);
		this.readiness = ReadinessState.ACCEPTING_TRAFFIC;
		listener.onApplicationEvent(new AvailabilityChangeEvent<>(this.context, ReadinessState.ACCEPTING_TRAFFIC));
		assertThat(this.upgrader.calls).isEmpty();
		listener.onApplicationEvent(applicationReady());
		assertThat(this.upgrader.calls).containsExactly("ready");
	}

	@Test
	void aHealthGroupThatIsNotUpDelaysReadyAndEachReasonIsReported() {
		GenerationReadyListener listener = listener(null);
		this.healthProblem = "health group 'readiness' is DOWN: db: DOWN (Connection refused)";
		this.readiness = ReadinessState.ACCEPTING_TRAFFIC;
		listener.onApplicationEvent(applicationReady());
		assertThat(this.upgrader.calls)
			.containsExactly("not ready: health group 'readiness' is DOWN: db: DOWN (Connection refused)");
		this.healthProblem = "health group 'readiness' is OUT_OF_SERVICE: db: OUT_OF_SERVICE";
		await().atMost(AWAIT).until(() -> this.upgrader.calls.size() == 2);
		this.healthProblem = null;
		await().atMost(AWAIT).until(() -> this.upgrader.calls.contains("ready"));
		assertThat(this.upgrader.calls).containsExactly(
				"not ready: health group 'readiness' is DOWN: db: DOWN (Connection refused)",
				"not ready: health group 'readiness' is OUT_OF_SERVICE: db: OUT_OF_SERVICE", "ready");
	}

	@Test
	void duringItsProbationAReadinessLostIsReportedOnceAndTheRequestCountsRegularly() {
		this.upgrader.parent = true;
		this.upgrader.probation = true;
		GenerationReadyListener listener = listener(() -> new long[] { 40, 3 });
		this.readiness = ReadinessState.ACCEPTING_TRAFFIC;
		listener.onApplicationEvent(applicationReady());
		await().atMost(AWAIT).until(() -> this.upgrader.calls.contains("requests 40 3"));
		this.healthProblem = "health group 'readiness' is DOWN";
		await().atMost(AWAIT).until(() -> this.upgrader.calls.contains("not ready: health group 'readiness' is DOWN"));
		listener.onApplicationEvent(new AvailabilityChangeEvent<>(this.context, ReadinessState.REFUSING_TRAFFIC));
		this.upgrader.probation = false;
		assertThat(this.upgrader.calls.stream().filter((call) -> call.startsWith("not ready"))).hasSize(1);
		assertThat(this.upgrader.calls.get(0)).isEqualTo("ready");
	}

	@Test
	void afterReadyRefusingTrafficIsReported() {
		GenerationReadyListener listener = listener(null);
		this.readiness = ReadinessState.ACCEPTING_TRAFFIC;
		listener.onApplicationEvent(applicationReady());
		listener.onApplicationEvent(new AvailabilityChangeEvent<>(this.context, ReadinessState.REFUSING_TRAFFIC));
		assertThat(this.upgrader.calls).containsExactly("ready", "not ready: readiness state REFUSING_TRAFFIC");
	}

	private GenerationReadyListener listener(java.util.function.Supplier<long[]> requests) {
		return new GenerationReadyListener(this.upgrader, () -> this.readiness, () -> this.healthProblem, requests,
				(failure) -> this.exits.incrementAndGet());
	}

	private ApplicationReadyEvent applicationReady() {
		return new ApplicationReadyEvent(new SpringApplication(), new String[0], this.context, Duration.ofSeconds(1));
	}

	/** Records the calls on the upgrader. */
	static final class RecordingTarget implements GenerationReadyListener.Target {

		final List<String> calls = new CopyOnWriteArrayList<>();

		volatile boolean probation;

		volatile boolean parent;

		@Override
		public void ready() {
			this.calls.add("ready");
		}

		@Override
		public void readinessLost(String reason) {
			this.calls.add("not ready: " + reason);
		}

		@Override
		public void requestsAnswered(long answered, long serverErrors) {
			if (!this.calls.contains("requests " + answered + " " + serverErrors)) {
				this.calls.add("requests " + answered + " " + serverErrors);
			}
		}

		@Override
		public boolean onProbation() {
			return this.probation;
		}

		@Override
		public boolean hasParent() {
			return this.parent;
		}

	}

}
