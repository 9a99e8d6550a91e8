package io.zerodowntime;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link NativeChild}, the old generation's handle on the new one, with a
 * scripted handshake and a fake process table.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NativeChildTests {

	private static final Duration LONG = Duration.ofSeconds(20);

	private static final int FD = 7;

	private static final int CHILD = 4242;

	private final FakeOs fake = new FakeOs(2001);

	private final FakeOs.Fd handshake = this.fake.sockets.unixSocket(FD, CHILD);

	@Test
	void whenTheChildReportsReadyThenItIsReady() throws Exception {
		this.fake.processes.run(CHILD, "100");
		NativeChild child = new NativeChild(this.fake.os(), FD);
		this.handshake.send("PID 4242\n").send("READY\n");
		assertThat(child.awaitReady(LONG)).isNull();
		assertThat(child.pid()).isEqualTo(CHILD);
		this.handshake.endOfStream();
	}

	@Test
	void linesSplitAcrossReadsAreJoined() throws Exception {
		this.fake.processes.run(CHILD, "100");
		NativeChild child = new NativeChild(this.fake.os(), FD);
		this.handshake.send("PI").send("D 42").send("42\nRE").send("ADY\n");
		assertThat(child.awaitReady(LONG)).isNull();
		assertThat(child.pid()).isEqualTo(CHILD);
		this.handshake.endOfStream();
	}

	@Test
	void whenTheChildExitsBeforeReadyThenAwaitReadySaysSo() throws Exception {
		this.fake.processes.run(CHILD, "100");
		NativeChild child = new NativeChild(this.fake.os(), FD);
		this.handshake.send("PID 4242\n");
		this.fake.processes.exit(CHILD);
		this.handshake.endOfStream();
		assertThat(child.awaitReady(LONG))
			.isEqualTo("the new generation (pid 4242) exited before it was ready; see its log above for why");
	}

	@Test
	void whenTheHandshakeEndsBeforeThePidThenAwaitReadySaysTheChildExited() throws Exception {
		NativeChild child = new NativeChild(this.fake.os(), FD);
		this.handshake.endOfStream();
		assertThat(child.awaitReady(LONG))
			.isEqualTo("the new generation exited before it was ready; see its log above for why");
		assertThat(child.pid()).isNull();
		child.stop(Duration.ofMillis(100));
		assertThat(this.fake.processes.signals).as("no pid, nothing to signal").isEmpty();
		assertThat(this.fake.fds.closed).containsExactly(FD);
	}

	@Test
	void whenTheChildReportsFailedThenTheReasonIsPassedOn() throws Exception {
		this.fake.processes.run(CHILD, "100");
		NativeChild child = new NativeChild(this.fake.os(), FD);
		this.handshake.send("PID 4242\nFAILED Port 8080 was already in use.\n");
		assertThat(child.awaitReady(LONG))
			.isEqualTo("the new generation (pid 4242) failed to start: Port 8080 was already in use.");
		this.handshake.endOfStream();
	}

	@Test
	void whenThePidIsMalformedThenAwaitReadySaysSo() throws Exception {
		NativeChild child = new NativeChild(this.fake.os(), FD);
		this.handshake.send("PID 42x\n");
		assertThat(child.awaitReady(LONG)).isEqualTo("the new generation sent a malformed pid: PID 42x");
		this.handshake.endOfStream();
	}

	@Test
	void whenTheChildIsNotReadyInTimeThenAwaitReadySaysSo() throws Exception {
		this.fake.processes.run(CHILD, "100");
		NativeChild child = new NativeChild(this.fake.os(), FD);
		this.handshake.send("PID 4242\n");
		await().atMost(LONG).until(() -> child.pid() != null);
		assertThat(child.awaitReady(Duration.ofMillis(200)))
			.isEqualTo("the new generation (pid 4242) was not ready within the upgrade timeout of 200 ms");
		this.handshake.endOfStream();
	}

	@Test
	void whenStoppedThenTheChildIsTerminatedAndTheHandshakeClosed() throws Exception {
		this.fake.processes.run(CHILD, "100");
		NativeChild child = new NativeChild(this.fake.os(), FD);
		this.handshake.send("PID 4242\n");
		assertThat(child.awaitReady(Duration.ofMillis(200))).contains("was not ready");
		child.stop(LONG);
		assertThat(this.fake.processes.signals).containsExactly("kill 4242 SIGTERM");
		assertThat(this.fake.processes.isAlive(CHILD)).isFalse();
		assertThat(this.fake.fds.closed).containsExactly(FD);
	}

	@Test
	void whenTheChildIgnoresSigtermThenItIsKilledAfterTheGracePeriod() throws Exception {
		this.fake.processes.run(CHILD, "100", Set.of(Processes.SIGKILL));
		NativeChild child = new NativeChild(this.fake.os(), FD);
		this.handshake.send("PID 4242\n");
		await().atMost(LONG).until(() -> child.pid() != null);
		child.stop(Duration.ofMillis(100));
		assertThat(this.fake.processes.signals).containsExactly("kill 4242 SIGTERM", "kill 4242 SIGKILL");
		assertThat(this.fake.processes.isAlive(CHILD)).isFalse();
	}

	@Test
	void whenTheChildsPidWasReusedThenStopNeverSignalsTheOtherProcess() throws Exception {
		this.fake.processes.run(CHILD, "100");
		NativeChild child = new NativeChild(this.fake.os(), FD);
		this.handshake.send("PID 4242\n");
		await().atMost(LONG).until(() -> child.pid() != null);
		this.fake.processes.exit(CHILD);
		this.handshake.endOfStream();
		assertThat(child.awaitReady(LONG)).contains("exited before it was ready");
		// another process, started later, now has the pid
		this.fake.processes.run(CHILD, "900");
		child.stop(Duration.ofMillis(100));
		assertThat(this.fake.processes.signals).isEmpty();
		assertThat(this.fake.processes.isAlive(CHILD)).isTrue();
		assertThat(this.fake.fds.closed).containsExactly(FD);
	}

	@Test
	void whenTheChildHasExitedThenStopSignalsNothing() throws Exception {
		this.fake.processes.run(CHILD, "100");
		NativeChild child = new NativeChild(this.fake.os(), FD);
		this.handshake.send("PID 4242\n");
		await().atMost(LONG).until(() -> child.pid() != null);
		this.fake.processes.exit(CHILD);
		child.stop(Duration.ofMillis(100));
		assertThat(this.fake.processes.signals).isEmpty();
	}

	@Test
	void whenTheChildSaysWhyItIsNotReadyYetThenTheTimeoutSaysSoToo() throws Exception {
		this.fake.processes.run(CHILD, "100");
		NativeChild child = new NativeChild(this.fake.os(), FD);
		this.handshake.send("PID 4242\n")
			.send("NOT_READY health group 'readiness' is DOWN: db: DOWN (Connection refused)\n");
		await().atMost(Duration.ofSeconds(5))
			.until(() -> child.awaitReady(Duration.ofMillis(50)).endsWith("(Connection refused)"));
		assertThat(child.awaitReady(Duration.ofMillis(50))).isEqualTo("the new generation (pid 4242) was not ready "
				+ "within the upgrade timeout of 50 ms: health group 'readiness' is DOWN: db: DOWN (Connection refused)");
		this.handshake.endOfStream();
	}

	@Test
	void afterReadyEverySignOfTheChildGoesToTheWatchInOrder() throws Exception {
		this.fake.processes.run(CHILD, "100");
		NativeChild child = new NativeChild(this.fake.os(), FD);
		this.handshake.send("PID 4242\n").send("READY\n");
		assertThat(child.awaitReady(LONG)).isNull();
		RecordingWatch watch = new RecordingWatch();
		child.watch(watch);
		this.handshake.send("REQUESTS 10 1\nREQUESTS 25 2\n").send("NOT_READY readiness state REFUSING_TRAFFIC\n");
		this.handshake.endOfStream();
		assertThat(child.awaitExit(LONG)).isTrue();
		assertThat(watch.signs).containsExactly("requests 10 1", "requests 25 2",
				"not ready: readiness state REFUSING_TRAFFIC", "exited");
	}

	@Test
	void whatTheChildReportedBeforeTheWatchWasSetIsPassedAtOnce() throws Exception {
		this.fake.processes.run(CHILD, "100");
		NativeChild child = new NativeChild(this.fake.os(), FD);
		this.handshake.send("PID 4242\n").send("READY\n").send("REQUESTS 3 0\n").send("NOT_READY gone\n");
		this.handshake.endOfStream();
		assertThat(child.awaitExit(LONG)).isTrue();
		RecordingWatch watch = new RecordingWatch();
		child.watch(watch);
		assertThat(watch.signs).containsExactly("not ready: gone", "requests 3 0", "exited");
	}

	@Test
	void malformedOrDecreasingRequestCountsAreIgnored() throws Exception {
		this.fake.processes.run(CHILD, "100");
		NativeChild child = new NativeChild(this.fake.os(), FD);
		this.handshake.send("PID 4242\nREADY\n");
		assertThat(child.awaitReady(LONG)).isNull();
		RecordingWatch watch = new RecordingWatch();
		child.watch(watch);
		this.handshake
			.send("REQUESTS 10 2\nREQUESTS ten 2\nREQUESTS 5 1\nREQUESTS 10 11\nREQUESTS 10\nREQUESTS 12 2\n");
		this.handshake.endOfStream();
		assertThat(child.awaitExit(LONG)).isTrue();
		assertThat(watch.signs).containsExactly("requests 10 2", "requests 12 2", "exited");
	}

	@Test
	void theProbationConfirmationAndRollbackAreWrittenOneLineEach() throws Exception {
		this.fake.processes.run(CHILD, "100");
		NativeChild child = new NativeChild(this.fake.os(), FD);
		this.handshake.send("PID 4242\nREADY\n");
		assertThat(child.awaitReady(LONG)).isNull();
		child.startProbation(java.time.Instant.ofEpochMilli(1764800000123L), 2391);
		child.confirm();
		child.rollBack("the new generation (pid 4242) is not ready:\nhealth DOWN");
		child.startProbation(null, 12);
		assertThat(this.handshake.writtenText()).isEqualTo("PROBATION 1764800000123 2391\nCONFIRMED\n"
				+ "ROLLBACK the new generation (pid 4242) is not ready: health DOWN\nPROBATION 0 12\n");
		this.handshake.endOfStream();
	}

	@Test
	void awaitExitSaysWhetherTheChildExitedInTimeAndClosesTheHandshakeOnceItHas() throws Exception {
		this.fake.processes.run(CHILD, "100");
		NativeChild child = new NativeChild(this.fake.os(), FD);
		this.handshake.send("PID 4242\nREADY\n");
		assertThat(child.awaitReady(LONG)).isNull();
		assertThat(child.awaitExit(Duration.ofMillis(50))).isFalse();
		assertThat(this.fake.fds.closed).isEmpty();
		this.handshake.endOfStream();
		assertThat(child.awaitExit(LONG)).isTrue();
		assertThat(this.fake.fds.closed).containsExactly(FD);
		assertThat(child.awaitExit(LONG)).isTrue();
		assertThat(this.fake.fds.closed).containsExactly(FD);
	}

	/** Records each sign, in order. */
	static final class RecordingWatch implements Child.Watch {

		final java.util.List<String> signs = new java.util.concurrent.CopyOnWriteArrayList<>();

		@Override
		public void exited() {
			this.signs.add("exited");
		}

		@Override
		public void notReady(String reason) {
			this.signs.add("not ready: " + reason);
		}

		@Override
		public void requests(long answered, long serverErrors) {
			this.signs.add("requests " + answered + " " + serverErrors);
		}

	}

}
