package io.zerodowntime;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link Exit}: the drain is a hard deadline.
 */
@ExtendWith(OutputCaptureExtension.class)
class ExitTests {

	private static final Generation GENERATION = new Generation(2, 2001L, 1001L, Instant.now(), Instant.now());

	private final RecordingProcess process = new RecordingProcess();

	private final List<String> steps = new ArrayList<>();

	@Test
	void theHaltIsArmedBeforeTheDrainForTheDrainTimeoutPlusTheExitGrace() throws Exception {
		FakeDrainTarget target = new FakeDrainTarget(1, 2, 0);
		exit(target, Duration.ofSeconds(5)).drainAndExit("handed over to generation 3");
		assertThat(this.process.allowance).isEqualTo(Duration.ofSeconds(5).plusSeconds(2));
		assertThat(this.steps).containsExactly("deadline armed", "application closed", "exit 0");
	}

	@Test
	void whenTheConnectionsCloseInTimeNothingIsCutAndTheApplicationClosesAtOnce(CapturedOutput output)
			throws Exception {
		FakeDrainTarget target = new FakeDrainTarget(3, 2, 0);
		exit(target, Duration.ofSeconds(30)).drainAndExit("SIGTERM");
		assertThat(target.calls).containsExactly("stopAccepting");
		assertThat(this.steps).endsWith("application closed", "exit 0");
		assertThat(output).doesNotContain("drain timeout");
	}

	@Test
	void whenARequestOutlivesTheDrainTimeoutItIsCutCountedAndTheApplicationClosedRightAfter(CapturedOutput output)
			throws Exception {
		FakeDrainTarget target = new FakeDrainTarget(2, -1, 1);
		long start = System.nanoTime();
		exit(target, Duration.ofMillis(200)).drainAndExit("handed over to generation 3");
		assertThat(Duration.ofNanos(System.nanoTime() - start)).as("no second wait after the deadline")
			.isLessThan(Duration.ofSeconds(10));
		assertThat(target.calls).containsExactly("stopAccepting", "closeConnections");
		assertThat(this.steps).containsExactly("deadline armed", "application closed", "exit 0");
		assertThat(output).contains("Generation 2 (pid 2001): drain timeout (200 ms) reached with 1 request(s) "
				+ "still running; cut them, and closed 2 connection(s)");
	}

	@Test
	void whenOnlyIdleConnectionsAreLeftAtTheDeadlineTheyAreClosedAndNothingIsCut(CapturedOutput output)
			throws Exception {
		FakeDrainTarget target = new FakeDrainTarget(4, -1, 0);
		exit(target, Duration.ofMillis(100)).drainAndExit("SIGTERM");
		assertThat(target.calls).containsExactly("stopAccepting", "closeConnections");
		assertThat(output).contains("drain timeout (100 ms) reached; closed 4 idle connection(s)")
			.doesNotContain("still running");
	}

	@Test
	void onlyTheFirstCallDrains() throws Exception {
		FakeDrainTarget target = new FakeDrainTarget(1, 0, 0);
		Exit exit = exit(target, Duration.ofSeconds(1));
		exit.drainAndExit("SIGTERM");
		exit.drainAndExit("SIGTERM");
		assertThat(target.calls).containsExactly("stopAccepting");
		assertThat(this.steps).containsOnlyOnce("exit 0");
	}

	@Test
	void anApplicationThatCannotCloseHaltsTheProcessRatherThanKeepItAlive() throws Exception {
		FakeDrainTarget target = new FakeDrainTarget(0, 0, 0);
		new Exit(GENERATION, target.attachedToOneListener(), null, Duration.ofSeconds(1), Duration.ofSeconds(2), () -> {
			throw new NoClassDefFoundError("com/example/Gone");
		}, this.process).drainAndExit("SIGTERM");
		assertThat(this.steps).containsExactly("deadline armed", "halt 0");
	}

	private Exit exit(FakeDrainTarget target, Duration drainTimeout) throws Exception {
		return new Exit(GENERATION, target.attachedToOneListener(), null, drainTimeout, Duration.ofSeconds(2), () -> {
			this.steps.add("application closed");
			return 0;
		}, this.process);
	}

	/** Records how the process would end; never ends this one. */
	private final class RecordingProcess implements Exit.Process {

		Duration allowance;

		@Override
		public void startDeadline(Duration allowance, Runnable onDeadline) {
			this.allowance = allowance;
			ExitTests.this.steps.add("deadline armed");
		}

		@Override
		public void exit(int status) {
			ExitTests.this.steps.add("exit " + status);
		}

		@Override
		public void halt(int status) {
			ExitTests.this.steps.add("halt " + status);
		}

	}

}
