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

}
