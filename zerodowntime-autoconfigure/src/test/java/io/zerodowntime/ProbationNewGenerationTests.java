package io.zerodowntime;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.zerodowntime.UpgraderLifeTests.FakeProcess;
import io.zerodowntime.UpgraderLifeTests.FakeSignals;
import io.zerodowntime.UpgraderTests.FakeSockets;
import io.zerodowntime.UpgraderTests.RecordingListener;
import io.zerodowntime.UpgraderTests.ScriptedLauncher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The new generation's side of a probation, over a scripted handshake: what it reports to
 * the previous generation, what its status says about how it was born, and how it drains
 * and exits when it is rolled back.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ProbationNewGenerationTests {

	private static final Duration AWAIT = Duration.ofSeconds(10);

	private static final int PARENT = 1001;

	private static final int FD = 5;

	private final FakeOs fake = new FakeOs(2001);

	private final FakeOs.Fd handshake = this.fake.sockets.unixSocket(FD, PARENT);

	private final FakeProcess process = new FakeProcess();

	private final RecordingListener events = new RecordingListener();

	@TempDir
	Path directory;

	@Test
	void theStatusSaysHowThisGenerationWasBornAndUntilWhenItIsOnProbation() {
		this.fake.processes.run(PARENT, "100");
		Upgrader upgrader = secondGeneration(null);
		upgrader.ready();
		assertThat(this.handshake.writtenText()).isEqualTo("READY\n");
		Map<String, Object> before = upgrader.status();
		assertThat(before).containsEntry("probation", null);
		assertThat(before.get("upgradedFrom")).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
			.containsEntry("generation", 1)
			.containsEntry("pid", 1001L)
			.containsEntry("durationMs", null);
		this.handshake.send("PROBATION 1764800000123 2391\n");
		await().atMost(AWAIT).until(upgrader::onProbation);
		Map<String, Object> status = upgrader.status();
		assertThat(status).containsEntry("probation", Map.of("until", Instant.ofEpochMilli(1764800000123L)));
		assertThat(status.get("upgradedFrom"))
			.isEqualTo(new java.util.LinkedHashMap<>(Map.of("generation", 1, "pid", 1001L, "durationMs", 2391L)));
		assertThat(status.keySet()).containsSubsequence("lastUpgrade", "upgradedFrom", "probation",
				"upgradesUnavailable");
		this.handshake.send("CONFIRMED\n");
		await().atMost(AWAIT).until(() -> !upgrader.onProbation());
		assertThat(upgrader.status()).containsEntry("probation", null);
		this.handshake.endOfStream();
	}

	@Test
	void generationOneWasBornOfNoUpgrade() {
		Generation first = new Generation(1, 2001L, null, Instant.now(), Instant.now());
		Upgrader upgrader = new Upgrader(first, new ScriptedLauncher(),
				new Listeners(ListenFds.none(), new FakeSockets(), true), null, AWAIT);
		assertThat(upgrader.status()).containsEntry("upgradedFrom", null).containsEntry("probation", null);
	}

	@Test
	void duringItsProbationItReportsRequestCountsAndLostReadinessAndAfterItNothing() {
		this.fake.processes.run(PARENT, "100");
		Upgrader upgrader = secondGeneration(null);
		upgrader.requestsAnswered(1, 0);
		upgrader.ready();
		upgrader.requestsAnswered(2, 0);
		this.handshake.send("PROBATION " + Instant.now().plusSeconds(60).toEpochMilli() + " 1500\n");
		await().atMost(AWAIT).until(upgrader::onProbation);
		upgrader.requestsAnswered(40, 3);
		upgrader.readinessLost("readiness state REFUSING_TRAFFIC");
		this.handshake.send("CONFIRMED\n");
		await().atMost(AWAIT).until(() -> !upgrader.onProbation());
		upgrader.requestsAnswered(80, 3);
		upgrader.readinessLost("health group 'readiness' is DOWN");
		assertThat(this.handshake.writtenText())
			.isEqualTo("READY\nREQUESTS 40 3\nNOT_READY readiness state REFUSING_TRAFFIC\n");
		this.handshake.endOfStream();
	}

	@Test
	void beforeItIsReadyItSaysWhyNotYet() {
		this.fake.processes.run(PARENT, "100");
		Upgrader upgrader = secondGeneration(null);
		upgrader.readinessLost("health group 'readiness' is DOWN: db: DOWN (Connection refused)");
		assertThat(this.handshake.writtenText())
			.isEqualTo("NOT_READY health group 'readiness' is DOWN: db: DOWN (Connection refused)\n");
		this.handshake.endOfStream();
	}

	@Test
	void whenRolledBackItDrainsAndExitsWithoutTouchingThePidFileTheOldOneWroteBack() throws Exception {
		this.fake.processes.run(PARENT, "100");
		Path pidFile = this.directory.resolve("app.pid");
		Upgrader upgrader = secondGeneration(pidFile);
		upgrader.ready();
		assertThat(Files.readString(pidFile).trim()).isEqualTo("2001");
		this.handshake.send("PROBATION " + Instant.now().plusSeconds(60).toEpochMilli() + " 1500\n");
		await().atMost(AWAIT).until(upgrader::onProbation);
		Files.writeString(pidFile, "1001\n");
		this.handshake.send("ROLLBACK the new generation (pid 2001) is not ready: readiness state REFUSING_TRAFFIC\n");
		this.process.awaitEnd();
		assertThat(upgrader.state()).isEqualTo(UpgradeState.DRAINING);
		assertThat(upgrader.onProbation()).isFalse();
		assertThat(this.process.log).contains("exit 0");
		assertThat(Files.readString(pidFile).trim()).isEqualTo("1001");
		assertThat(this.events.log).as("nothing else is told: systemd must not hear STOPPING=1").isEmpty();
		this.handshake.endOfStream();
	}

	@Test
	void whenThePreviousGenerationExitsTheProbationIsOver() {
		this.fake.processes.run(PARENT, "100");
		Upgrader upgrader = secondGeneration(null);
		upgrader.ready();
		this.handshake.send("PROBATION " + Instant.now().plusSeconds(60).toEpochMilli() + " 1500\n");
		await().atMost(AWAIT).until(upgrader::onProbation);
		this.handshake.endOfStream();
		await().atMost(AWAIT).until(() -> !upgrader.onProbation());
	}

	@Test
	void whenThePreviousGenerationExitsThisOneIsTheMainProcessSoItsListenersAreStored() {
		this.fake.processes.run(PARENT, "100");
		Upgrader upgrader = secondGeneration(null);
		AtomicInteger main = new AtomicInteger();
		upgrader.onPredecessorExited(main::incrementAndGet);
		upgrader.ready();
		this.handshake.send("PROBATION " + Instant.now().plusSeconds(60).toEpochMilli() + " 1500\n");
		await().atMost(AWAIT).until(upgrader::onProbation);
		this.handshake.send("CONFIRMED\n");
		await().atMost(AWAIT).until(() -> !upgrader.onProbation());
		assertThat(main).as("confirmed comes before the old generation sends MAINPID=").hasValue(0);
		this.handshake.endOfStream();
		await().atMost(AWAIT).until(() -> main.get() == 1);
	}

	@Test
	void aRolledBackGenerationIsNeverTheMainProcess() throws InterruptedException {
		this.fake.processes.run(PARENT, "100");
		Upgrader upgrader = secondGeneration(null);
		AtomicInteger main = new AtomicInteger();
		upgrader.onPredecessorExited(main::incrementAndGet);
		upgrader.ready();
		this.handshake.send("PROBATION " + Instant.now().plusSeconds(60).toEpochMilli() + " 1500\n");
		await().atMost(AWAIT).until(upgrader::onProbation);
		this.handshake.send("ROLLBACK the new generation is not ready\n");
		this.process.awaitEnd();
		this.handshake.endOfStream();
		// the previous generation serves on: even when its link ends, this one is not
		// main
		await().during(Duration.ofMillis(500)).atMost(AWAIT).until(() -> main.get() == 0);
	}

	private Upgrader secondGeneration(Path pidFile) {
		ParentLink parent = new ParentLink(this.fake.os(), FD, PARENT);
		Generation second = new Generation(2, 2001L, 1001L, Instant.now(), Instant.now().minusSeconds(60));
		Listeners listeners = new Listeners(ListenFds.none(), new FakeSockets(), true);
		Upgrader upgrader = new Upgrader(second, new ScriptedLauncher(), listeners, parent, AWAIT);
		PidFile file = (pidFile != null) ? new PidFile(pidFile) : null;
		upgrader.life(new FakeSignals(), file,
				new Exit(second, listeners, file, Duration.ofMillis(100), Duration.ofSeconds(5), () -> 0, this.process),
				false);
		upgrader.addListener(this.events);
		return upgrader;
	}

}
