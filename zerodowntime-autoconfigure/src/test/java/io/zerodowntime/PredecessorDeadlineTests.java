package io.zerodowntime;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link PredecessorDeadline}.
 */
class PredecessorDeadlineTests {

	private static final Instant READY = Instant.parse("2026-12-03T19:45:00Z");

	private final PredecessorDeadline deadline = new PredecessorDeadline(1001, "4242", READY, Duration.ofSeconds(40),
			PredecessorDeadline.MARGIN);

	@Test
	void theDeadlineIsTheDrainTimeoutPlusExitGracePlusAMarginAfterTheHandover() {
		assertThat(this.deadline.deadline()).isEqualTo(READY.plusSeconds(40).plus(PredecessorDeadline.MARGIN));
		assertThat(this.deadline.describe())
			.isEqualTo("it is killed if it has not exited by 2026-12-03T19:45:45Z (its drain timeout plus exit grace, "
					+ "40 s, and 5 s after it handed over)");
	}

	@Test
	void whenThePredecessorExitedThenNothingIsKilled() throws IOException {
		FakePredecessor predecessor = new FakePredecessor(true, "4242");
		assertThat(this.deadline.enforce(READY.plusSeconds(3600), predecessor))
			.isEqualTo(PredecessorDeadline.Result.EXITED);
		assertThat(predecessor.kills.get()).isZero();
	}

	@Test
	void whenTheDeadlineHasNotPassedThenNothingIsKilled() throws IOException {
		FakePredecessor predecessor = new FakePredecessor(false, "4242");
		assertThat(this.deadline.enforce(this.deadline.deadline().minusMillis(1), predecessor))
			.isEqualTo(PredecessorDeadline.Result.NOT_DUE);
		assertThat(predecessor.kills.get()).isZero();
	}

	@Test
	void whenTheDeadlineHasPassedAndThePidStillNamesThePredecessorThenItIsKilled() throws IOException {
		FakePredecessor predecessor = new FakePredecessor(false, "4242");
		assertThat(this.deadline.enforce(this.deadline.deadline(), predecessor))
			.isEqualTo(PredecessorDeadline.Result.KILLED);
		assertThat(predecessor.kills.get()).isOne();
	}

	@Test
	void whenThePidNamesAnotherProcessOrNoneThenNothingIsKilled() throws IOException {
		for (String identity : new String[] { "9999", null }) {
			FakePredecessor predecessor = new FakePredecessor(false, identity);
			assertThat(this.deadline.enforce(this.deadline.deadline().plusSeconds(1), predecessor))
				.isEqualTo(PredecessorDeadline.Result.GONE);
			assertThat(predecessor.kills.get()).isZero();
		}
	}

	@Test
	void whenThePredecessorsIdentityWasNeverKnownThenNothingIsKilled() throws IOException {
		PredecessorDeadline unknown = new PredecessorDeadline(1001, null, READY, Duration.ofSeconds(40),
				PredecessorDeadline.MARGIN);
		FakePredecessor predecessor = new FakePredecessor(false, "4242");
		assertThat(unknown.enforce(unknown.deadline().plusSeconds(1), predecessor))
			.isEqualTo(PredecessorDeadline.Result.GONE);
		assertThat(predecessor.kills.get()).isZero();
	}

	@Test
	void theStartTimeOfThisProcessIsItsIdentityAndAnUnusedPidHasNone() {
		assertThat(Os.posix().processes().identity(ProcessHandle.current().pid())).isNotNull()
			.isEqualTo(Os.posix().processes().identity(ProcessHandle.current().pid()));
		assertThat(Os.posix().processes().identity(Integer.MAX_VALUE)).isNull();
	}

	private static final class FakePredecessor implements PredecessorDeadline.Predecessor {

		private final boolean exited;

		private final String identity;

		private final AtomicInteger kills = new AtomicInteger();

		FakePredecessor(boolean exited, String identity) {
			this.exited = exited;
			this.identity = identity;
		}

		@Override
		public boolean exited() {
			return this.exited;
		}

		@Override
		public String identity() {
			return this.identity;
		}

		@Override
		public void kill() {
			this.kills.incrementAndGet();
		}

	}

}
