package io.zerodowntime;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Tests for {@link Probation}: the first sign of trouble is the verdict; a quiet
 * probation, or one ended early, is none.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ProbationTests {

	private static final Duration LONG = Duration.ofSeconds(20);

	@Test
	void aQuietProbationEndsWithNoVerdict() throws Exception {
		Probation probation = new Probation(new Probation.Rules(Duration.ofMillis(50), 0.05, 20), 4242L);
		probation.requests(100, 1);
		assertThat(probation.await(Duration.ofMillis(50))).isNull();
	}

	@Test
	void whenTheNewGenerationExitsThenTheVerdictSaysSo() throws Exception {
		Probation probation = new Probation(new Probation.Rules(LONG, null, 0), 4242L);
		probation.exited();
		assertThat(probation.await(LONG))
			.isEqualTo("the new generation (pid 4242) exited during its probation; see its log for why");
	}

	@Test
	void whenItIsNotReadyThenTheVerdictQuotesIt() throws Exception {
		Probation probation = new Probation(new Probation.Rules(LONG, null, 0), 4242L);
		probation.notReady("readiness state REFUSING_TRAFFIC");
		assertThat(probation.await(LONG))
			.isEqualTo("the new generation (pid 4242) is not ready: readiness state REFUSING_TRAFFIC");
	}

	@Test
	void whenTheErrorRatioIsAboveTheMaximumOnceThereAreEnoughRequestsThenTheVerdictGivesTheFigures() throws Exception {
		Probation probation = new Probation(new Probation.Rules(LONG, 0.05, 20), 4242L);
		probation.requests(10, 10);
		assertThat(probation.trouble()).as("below min-requests").isNull();
		probation.requests(100, 5);
		assertThat(probation.trouble()).as("at the maximum, not above").isNull();
		probation.requests(120, 14);
		assertThat(probation.await(LONG)).isEqualTo("the new generation (pid 4242) answered 14 of 120 requests "
				+ "with a 5xx (11.7%, above zerodowntime.rollback.max-error-ratio=0.05)");
	}

	@Test
	void withNoMaximumErrorRatioErrorsAreNotJudged() {
		Probation probation = new Probation(new Probation.Rules(LONG, null, 0), 4242L);
		probation.requests(100, 100);
		assertThat(probation.trouble()).isNull();
	}

	@Test
	void theFirstSignOfTroubleIsTheVerdict() throws Exception {
		Probation probation = new Probation(new Probation.Rules(LONG, null, 0), 4242L);
		probation.notReady("health group 'readiness' is DOWN");
		probation.exited();
		assertThat(probation.await(LONG)).endsWith("is not ready: health group 'readiness' is DOWN");
	}

	@Test
	void anEarlyEndIsNoVerdictAndLaterTroubleIsIgnored() throws Exception {
		Probation probation = new Probation(new Probation.Rules(LONG, null, 0), 4242L);
		probation.endEarly();
		probation.exited();
		assertThat(probation.await(LONG)).isNull();
	}

	@Test
	void rulesThatCannotWorkAreRefusedNamingTheProperty() {
		assertThatIllegalArgumentException().isThrownBy(() -> new Probation.Rules(Duration.ofSeconds(-1), null, 0))
			.withMessageContaining("zerodowntime.probation");
		assertThatIllegalArgumentException().isThrownBy(() -> new Probation.Rules(LONG, 1.5, 0))
			.withMessageContaining("zerodowntime.rollback.max-error-ratio")
			.withMessageContaining("0.05");
		assertThatIllegalArgumentException().isThrownBy(() -> new Probation.Rules(LONG, 0.05, -1))
			.withMessageContaining("zerodowntime.rollback.min-requests");
		assertThat(Probation.Rules.OFF.on()).isFalse();
	}

}
