package io.zerodowntime;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link ParentLink}: the handshake with a fake operating system, and the
 * deadline with a real process as the previous generation.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@ExtendWith(OutputCaptureExtension.class)
class ParentLinkTests {

	private static final int PARENT = 1001;

	private static final int FD = 5;

	/** Shorter than {@link PredecessorDeadline#MARGIN}: three tests wait for it. */
	private static final Duration MARGIN = Duration.ofMillis(1500);

	private final FakeOs fake = new FakeOs(2001);

	@Test
	void whenTheParentClosesTheHandshakeThenItHasExited(CapturedOutput output) {
		FakeOs.Fd handshake = this.fake.sockets.unixSocket(FD, PARENT);
		ParentLink link = new ParentLink(this.fake.os(), FD, PARENT, MARGIN);
		assertThat(link.parentExited()).isFalse();
		handshake.endOfStream();
		await().atMost(Duration.ofSeconds(10)).until(link::parentExited);
		assertThat(output).contains("Previous generation (pid 1001) has exited");
	}

	@Test
	void whenTheParentSendsGarbageThenItIsIgnoredUntilTheEndOfTheStream(CapturedOutput output) {
		FakeOs.Fd handshake = this.fake.sockets.unixSocket(FD, PARENT);
		ParentLink link = new ParentLink(this.fake.os(), FD, PARENT, MARGIN);
		handshake.send("\u0000\u00ffgarbage\n").send("READY\n");
		await().atMost(Duration.ofSeconds(10))
			.until(() -> output.toString()
				.contains("Ignoring unexpected data from the previous generation (pid 1001)"));
		assertThat(link.parentExited()).as("data is no exit").isFalse();
		handshake.endOfStream();
		await().atMost(Duration.ofSeconds(10)).until(link::parentExited);
	}

	@Test
	void whenReadingTheHandshakeFailsThenTheParentCountsAsExited() throws Exception {
		this.fake.sockets.unixSocket(FD, PARENT);
		ParentLink link = new ParentLink(this.fake.os(), FD, PARENT, MARGIN);
		this.fake.fds.close(FD);
		await().atMost(Duration.ofSeconds(10)).until(link::parentExited);
	}

	@Test
	void readyIsReportedOnceAndNothingAfterIt() {
		FakeOs.Fd handshake = this.fake.sockets.unixSocket(FD, PARENT);
		ParentLink link = new ParentLink(this.fake.os(), FD, PARENT, MARGIN);
		link.reportReady();
		link.reportReady();
		link.reportFailed("too late");
		assertThat(handshake.writtenText()).isEqualTo("READY\n");
		handshake.endOfStream();
	}

	@Test
	void aFailureIsReportedOnOneLine() {
		FakeOs.Fd handshake = this.fake.sockets.unixSocket(FD, PARENT);
		ParentLink link = new ParentLink(this.fake.os(), FD, PARENT, MARGIN);
		link.reportFailed("Port 8080 was already in use.\r\nAction: stop the other process");
		link.reportReady();
		assertThat(handshake.writtenText())
			.isEqualTo("FAILED Port 8080 was already in use. Action: stop the other process\n");
		handshake.endOfStream();
	}

	@Test
	void aFailureWithoutAReasonSaysUnknown() {
		FakeOs.Fd handshake = this.fake.sockets.unixSocket(FD, PARENT);
		new ParentLink(this.fake.os(), FD, PARENT, MARGIN).reportFailed(null);
		assertThat(handshake.writtenText()).isEqualTo("FAILED unknown\n");
		handshake.endOfStream();
	}

	@Test
	void whenTheParentIsGoneBeforeTheReportThenTheFailureIsLoggedNotThrown(CapturedOutput output) {
		FakeOs.Fd handshake = this.fake.sockets.unixSocket(FD, PARENT);
		handshake.writeFailure = new IOException("Broken pipe");
		ParentLink link = new ParentLink(this.fake.os(), FD, PARENT, MARGIN);
		link.reportReady();
		assertThat(output).contains("Unable to tell the previous generation (pid 1001) 'READY': Unable to write to "
				+ "fd 5: Broken pipe (errno 32)");
		handshake.endOfStream();
	}

	@Test
	void whenThePreviousGenerationsPidNamesAnotherProcessAtItsDeadlineThenNothingIsKilled(CapturedOutput output) {
		FakeOs.Fd handshake = this.fake.sockets.unixSocket(FD, PARENT);
		this.fake.processes.run(PARENT, "100");
		ParentLink link = new ParentLink(this.fake.os(), FD, PARENT, MARGIN);
		this.fake.processes.exit(PARENT);
		// the pid is reused by another process, started later
		this.fake.processes.run(PARENT, "900");
		link.expectExitWithin(Duration.ZERO);
		await().atMost(MARGIN.plusSeconds(20))
			.until(() -> output.toString().contains("Previous generation (pid 1001) is gone"));
		assertThat(this.fake.processes.signals).isEmpty();
		assertThat(this.fake.processes.isAlive(PARENT)).isTrue();
		handshake.endOfStream();
	}

	@Test
	void aPreviousGenerationStillThereAfterItsDeadlineIsKilledByPid() throws Exception {
		Os os = Os.posix();
		Process predecessor = new ProcessBuilder("sleep", "600").start();
		int[] pair = os.sockets().socketPair();
		try {
			ParentLink link = new ParentLink(os, pair[0], predecessor.pid(), MARGIN);
			link.expectExitWithin(Duration.ofMillis(100));
			assertThat(link.deadline().pid()).isEqualTo(predecessor.pid());
			assertThat(predecessor.waitFor(MARGIN.toMillis() - 500, TimeUnit.MILLISECONDS))
				.as("still alive before its deadline")
				.isFalse();
			assertThat(predecessor.waitFor(20, TimeUnit.SECONDS)).as("killed after its deadline").isTrue();
			assertThat(predecessor.exitValue()).isEqualTo(128 + Processes.SIGKILL);
		}
		finally {
			predecessor.destroyForcibly();
			close(os, pair[0]);
			close(os, pair[1]);
		}
	}

	@Test
	void aPreviousGenerationThatExitsInTimeIsLeftAlone() throws Exception {
		Os os = Os.posix();
		int[] pair = os.sockets().socketPair();
		try {
			ParentLink link = new ParentLink(os, pair[0], ProcessHandle.current().pid(), MARGIN);
			link.expectExitWithin(Duration.ofMillis(100));
			close(os, pair[1]);
			await().atMost(Duration.ofSeconds(10)).until(link::parentExited);
			Thread.sleep(MARGIN.toMillis() + 1000);
			assertThat(ProcessHandle.current().isAlive()).isTrue();
		}
		finally {
			close(os, pair[0]);
		}
	}

	private static void close(Os os, int fd) {
		try {
			os.fds().close(fd);
		}
		catch (IOException ex) {
			// closed already
		}
	}

	@Test
	void whatThePreviousGenerationSaysAfterReadyGoesToTheListener() {
		FakeOs.Fd handshake = this.fake.sockets.unixSocket(FD, PARENT);
		ParentLink link = new ParentLink(this.fake.os(), FD, PARENT, MARGIN);
		java.util.List<String> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
		link.listen(new ParentLink.Listener() {

			@Override
			public void probation(java.time.Instant until, long upgradeMillis) {
				heard.add("probation " + until + " " + upgradeMillis);
			}

			@Override
			public void confirmed() {
				heard.add("confirmed");
			}

			@Override
			public void rolledBack(String reason) {
				heard.add("rolled back: " + reason);
			}

			@Override
			public void parentExited() {
				heard.add("exited");
			}

		});
		handshake.send("PROBATION 1764800000123 2391\nPROBATION 0 12\nCONF")
			.send("IRMED\nROLLBACK too many 5xx\n")
			.send("PROBATION soon\n")
			.endOfStream();
		await().atMost(Duration.ofSeconds(10)).until(() -> heard.contains("exited"));
		assertThat(heard).containsExactly("probation 2025-12-03T22:13:20.123Z 2391", "probation null 12", "confirmed",
				"rolled back: too many 5xx", "exited");
	}

	@Test
	void readinessLostAndRequestCountsMaySeveralTimesButNothingAfterAFailure() {
		FakeOs.Fd handshake = this.fake.sockets.unixSocket(FD, PARENT);
		ParentLink link = new ParentLink(this.fake.os(), FD, PARENT, MARGIN);
		link.reportNotReady("db: DOWN\n(Connection refused)");
		link.reportReady();
		link.reportRequests(10, 1);
		link.reportRequests(20, 1);
		assertThat(handshake.writtenText())
			.isEqualTo("NOT_READY db: DOWN (Connection refused)\nREADY\nREQUESTS 10 1\nREQUESTS 20 1\n");
		FakeOs.Fd other = this.fake.sockets.unixSocket(FD + 1, PARENT);
		ParentLink failing = new ParentLink(this.fake.os(), FD + 1, PARENT);
		failing.reportFailed("boom");
		failing.reportNotReady("late");
		assertThat(other.writtenText()).isEqualTo("FAILED boom\n");
		handshake.endOfStream();
		other.endOfStream();
	}

	@Test
	void aProbationMovesThePredecessorsDeadlineToItsEnd() {
		FakeOs.Fd handshake = this.fake.sockets.unixSocket(FD, PARENT);
		this.fake.processes.run(PARENT, "100");
		ParentLink link = new ParentLink(this.fake.os(), FD, PARENT, MARGIN);
		java.time.Instant before = java.time.Instant.now();
		link.expectExitWithin(Duration.ofSeconds(65));
		assertThat(link.deadline().deadline()).isBefore(before.plusSeconds(75));
		java.time.Instant end = before.plusSeconds(600);
		handshake.send("PROBATION " + end.toEpochMilli() + " 1500\n");
		await().atMost(Duration.ofSeconds(10))
			.until(() -> link.deadline()
				.deadline()
				.equals(java.time.Instant.ofEpochMilli(end.toEpochMilli()).plusSeconds(65).plus(MARGIN)));
		handshake.endOfStream();
	}

}
