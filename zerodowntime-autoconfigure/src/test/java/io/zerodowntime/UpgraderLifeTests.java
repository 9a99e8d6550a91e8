package io.zerodowntime;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import io.zerodowntime.UpgraderTests.FakeChild;
import io.zerodowntime.UpgraderTests.FakeSockets;
import io.zerodowntime.UpgraderTests.RecordingListener;
import io.zerodowntime.UpgraderTests.ScriptedLauncher;
import io.zerodowntime.server.ListenerRequest;
import io.zerodowntime.server.ServerListener;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Timeout.ThreadMode;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Drives a generation's whole life through the {@link Upgrader}: ready (PID file, accept
 * gate, signals, the previous generation told), drain and exit, with fake signals, a fake
 * process end and scripted children.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = ThreadMode.SEPARATE_THREAD)
class UpgraderLifeTests {

	private static final Duration LONG_TIMEOUT = Duration.ofSeconds(30);

	private static final Duration AWAIT = Duration.ofSeconds(5);

	private final ScriptedLauncher launcher = new ScriptedLauncher();

	private final RecordingListener events = new RecordingListener();

	private final FakeSignals signals = new FakeSignals();

	private final FakeProcess process = new FakeProcess();

	private final List<Runnable> cleanups = new ArrayList<>();

	@TempDir
	Path temp;

	@AfterEach
	void cleanUp() {
		Collections.reverse(this.cleanups);
		this.cleanups.forEach(Runnable::run);
	}

	@Test
	void readyWritesThePidFileBeforeTheAcceptGateOpens() throws Exception {
		Path pidFile = this.temp.resolve("run/app.pid");
		Listeners listeners = new Listeners(ListenFds.none(), new FakeSockets(7), false);
		ServerListener http = listeners.claim(new ListenerRequest("http", InetAddress.getLoopbackAddress(), 8080), 100,
				(s) -> {
				});
		CompletableFuture<Boolean> pidFileWrittenWhenGateOpened = CompletableFuture.supplyAsync(() -> {
			try {
				listeners.awaitAcceptGate(http);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			return Files.exists(pidFile);
		});
		Upgrader upgrader = upgrader(listeners, null, pidFile, () -> 0);
		assertThat(listeners.isAccepting()).isFalse();
		upgrader.ready();
		assertThat(pidFileWrittenWhenGateOpened.get(5, TimeUnit.SECONDS)).isTrue();
		assertThat(Files.readString(pidFile)).isEqualTo("1001\n");
		assertThat(upgrader.state()).isEqualTo(UpgradeState.SERVING);
		assertThat(this.signals.hangup).isNotNull();
		assertThat(this.signals.hangupUpgrades).isTrue();
		assertThat(this.signals.terminate).isNotNull();
	}

	@Test
	void aPidFileThatCannotBeWrittenFailsReadyTellsTheParentAndKeepsTheGateShut() throws Exception {
		Path notADirectory = Files.writeString(this.temp.resolve("file"), "x");
		Os os = Os.posix();
		int[] pair = os.sockets().socketPair();
		ParentLink parent = new ParentLink(os, pair[0], 1001L);
		this.cleanups.add(() -> closeQuietly(os, pair[0]));
		this.cleanups.add(() -> closeQuietly(os, pair[1]));
		Listeners listeners = new Listeners(ListenFds.none(), new FakeSockets(), false);
		Upgrader upgrader = new Upgrader(new Generation(2, 2001L, 1001L, Instant.now(), Instant.now()), this.launcher,
				listeners, parent, LONG_TIMEOUT);
		upgrader.life(this.signals, new PidFile(notADirectory.resolve("app.pid")),
				exit(upgrader.generation(), listeners, null, () -> 0), false);
		upgrader.addListener(this.events);
		assertThatExceptionOfType(PidFileException.class).isThrownBy(upgrader::ready)
			.withMessageContaining("Unable to write PID file " + notADirectory.resolve("app.pid"))
			.withMessageContaining("Fix: make " + notADirectory + " writable");
		byte[] buffer = new byte[512];
		int count = os.fds().read(pair[1], buffer, 0, buffer.length);
		assertThat(new String(buffer, 0, count, StandardCharsets.UTF_8)).startsWith(Handshake.FAILED + " ")
			.contains("Unable to write PID file");
		assertThat(listeners.isAccepting()).as("a generation that is not ready accepts nothing").isFalse();
		assertThat(upgrader.state()).isEqualTo(UpgradeState.STARTING);
		assertThat(this.events.log).isEmpty();
	}

	@Test
	void afterAHandOverThisGenerationDrainsRemovesItsPidFileAndExitsOnceWithTheApplicationsCode() throws Exception {
		Path pidFile = this.temp.resolve("app.pid");
		AtomicInteger closed = new AtomicInteger();
		Upgrader upgrader = upgrader(new Listeners(ListenFds.none(), new FakeSockets(), true), null, pidFile, () -> {
			closed.incrementAndGet();
			return 0;
		});
		upgrader.ready();
		assertThat(pidFile).exists();
		this.launcher.then(FakeChild.ready(2001L));
		UpgradeOutcome outcome = upgrader.upgrade();
		assertThat(outcome.outcome()).isEqualTo(UpgradeOutcome.Outcome.SUCCEEDED);
		this.process.awaitEnd();
		assertThat(this.process.log).containsExactly("deadline PT1M5S", "exit 0");
		assertThat(closed.get()).isEqualTo(1);
		assertThat(pidFile).as("removed: it still named this generation").doesNotExist();
		this.signals.terminate.run();
		assertThat(this.process.log).as("SIGTERM while draining ends nothing twice").hasSize(2);
		assertThat(closed.get()).isEqualTo(1);
	}

	@Test
	void drainAndExitRunsOnceHoweverOftenItIsAsked() {
		AtomicInteger closed = new AtomicInteger();
		Generation first = new Generation(1, 1001L, null, Instant.now(), Instant.now());
		Exit exit = exit(first, new Listeners(ListenFds.none(), new FakeSockets(), true), null, () -> {
			closed.incrementAndGet();
			return 3;
		});
		exit.drainAndExit("SIGTERM");
		exit.drainAndExit("handed over to generation 2");
		assertThat(closed.get()).isEqualTo(1);
		assertThat(this.process.log).containsExactly("deadline PT1M5S", "exit 3");
	}

	@Test
	void anApplicationThatCannotCloseStillEndsTheProcess() {
		Generation first = new Generation(1, 1001L, null, Instant.now(), Instant.now());
		Exit exit = exit(first, new Listeners(ListenFds.none(), new FakeSockets(), true), null, () -> {
			throw new NoClassDefFoundError("org/example/Gone");
		});
		exit.drainAndExit("handed over to generation 2");
		assertThat(this.process.log).containsExactly("deadline PT1M5S", "halt 0");
	}

	@Test
	void aGenerationThatHasNotExitedByItsDeadlineHalts() {
		Generation first = new Generation(1, 1001L, null, Instant.now(), Instant.now());
		CountDownLatch closing = new CountDownLatch(1);
		Exit exit = exit(first, new Listeners(ListenFds.none(), new FakeSockets(), true), null, () -> {
			this.process.deadline.run();
			closing.countDown();
			return 0;
		});
		exit.drainAndExit("SIGTERM");
		assertThat(this.process.log).containsExactly("deadline PT1M5S", "halt 1", "exit 0");
	}

	@Test
	void sigtermStopsThisGenerationThenItDrainsAndExits() throws Exception {
		AtomicInteger closed = new AtomicInteger();
		Upgrader upgrader = upgrader(new Listeners(ListenFds.none(), new FakeSockets(), true), null, null, () -> {
			closed.incrementAndGet();
			return 0;
		});
		upgrader.ready();
		this.signals.terminate.run();
		this.process.awaitEnd();
		assertThat(upgrader.state()).isEqualTo(UpgradeState.STOPPING);
		assertThat(this.process.log).containsExactly("deadline PT1M5S", "exit 0");
		assertThat(closed.get()).isEqualTo(1);
	}

	@Test
	void sigtermDuringAnUpgradeStopsTheNewGenerationFailsTheUpgradeAndExits() throws Exception {
		Upgrader upgrader = upgrader(new Listeners(ListenFds.none(), new FakeSockets(), true), null, null, () -> 0);
		upgrader.ready();
		FakeChild child = FakeChild.blocking(2001L);
		this.launcher.then(child);
		CompletableFuture<UpgradeOutcome> upgrade = CompletableFuture.supplyAsync(upgrader::upgrade);
		assertThat(child.awaiting.await(5, TimeUnit.SECONDS)).isTrue();
		this.signals.terminate.run();
		UpgradeOutcome outcome = upgrade.get(10, TimeUnit.SECONDS);
		assertThat(outcome.outcome()).isEqualTo(UpgradeOutcome.Outcome.FAILED);
		assertThat(outcome.reason()).isEqualTo("this generation was told to stop during the upgrade");
		assertThat(child.stops.get()).isPositive();
		this.process.awaitEnd();
		assertThat(this.process.log).containsExactly("deadline PT1M5S", "exit 0");
	}

	@Test
	void sighupOnceReadyStartsAnUpgradeInTheBackground() {
		Upgrader upgrader = upgrader(new Listeners(ListenFds.none(), new FakeSockets(), true), null, null, () -> 0);
		upgrader.ready();
		this.launcher.then(FakeChild.exits(2001L, "exited with status 1"));
		this.signals.hangup.run();
		await().atMost(AWAIT).until(() -> upgrader.lastUpgrade() != null);
		assertThat(upgrader.lastUpgrade().reason()).isEqualTo("exited with status 1");
		assertThat(this.launcher.generations).containsExactly(2);
	}

	@Test
	void readyIsIdempotent() {
		Path pidFile = this.temp.resolve("app.pid");
		Upgrader upgrader = upgrader(new Listeners(ListenFds.none(), new FakeSockets(), true), null, pidFile, () -> 0);
		upgrader.addListener(new UpgradeListener() {
			@Override
			public void generationReady(Generation generation) {
				UpgraderLifeTests.this.events.log.add("ready " + generation.number());
			}
		});
		upgrader.ready();
		upgrader.ready();
		assertThat(this.events.log).containsExactly("ready 1");
		assertThat(this.signals.installs.get()).isEqualTo(2);
	}

	@Test
	void whereUpgradesAreNotAvailableSighupOnlyRefusesFromTheStart() {
		Generation first = new Generation(1, 1001L, null, Instant.now(), Instant.now());
		Upgrader upgrader = Upgrader.unsupported(first, "not here");
		upgrader.life(this.signals, null, null, false);
		upgrader.addListener(this.events);
		assertThat(this.signals.hangupUpgrades).isFalse();
		assertThat(this.signals.terminate).as("Spring Boot's own shutdown handles SIGTERM").isNull();
		this.signals.hangup.run();
		await().atMost(AWAIT).until(() -> upgrader.lastUpgrade() != null);
		assertThat(upgrader.lastUpgrade().outcome()).isEqualTo(UpgradeOutcome.Outcome.REFUSED);
		assertThat(upgrader.lastUpgrade().reason()).isEqualTo("not here");
	}

	@Test
	void statusHasTheFieldsOfTheEndpointInItsOrder() {
		Listeners listeners = new Listeners(ListenFds.none(), new FakeSockets(7), true);
		Upgrader upgrader = upgrader(listeners, null, null, () -> 0);
		Map<String, Object> status = upgrader.status();
		assertThat(status).containsOnlyKeys("generation", "pid", "parentPid", "state", "startedAt", "originalStartedAt",
				"listeners", "lastUpgrade", "upgradedFrom", "probation", "upgradesUnavailable");
		assertThat(List.copyOf(status.keySet())).containsExactly("generation", "pid", "parentPid", "state", "startedAt",
				"originalStartedAt", "listeners", "lastUpgrade", "upgradedFrom", "probation", "upgradesUnavailable");
		assertThat(status).containsEntry("generation", 1)
			.containsEntry("pid", 1001L)
			.containsEntry("parentPid", null)
			.containsEntry("state", "STARTING")
			.containsEntry("lastUpgrade", null)
			.containsEntry("upgradedFrom", null)
			.containsEntry("probation", null)
			.containsEntry("upgradesUnavailable", null);
		upgrader.ready();
		this.launcher.then(FakeChild.exits(2001L, "exited with status 1"));
		upgrader.upgrade();
		@SuppressWarnings("unchecked")
		Map<String, Object> last = (Map<String, Object>) upgrader.status().get("lastUpgrade");
		assertThat(List.copyOf(last.keySet())).containsExactly("outcome", "reason", "childPid", "startedAt",
				"durationMs");
		assertThat(last).containsEntry("outcome", "FAILED")
			.containsEntry("reason", "exited with status 1")
			.containsEntry("childPid", 2001L);
		assertThat(ControlCommands.Json.write(upgrader.status())).startsWith(
				"{\"generation\":1,\"pid\":1001," + "\"parentPid\":null,\"state\":\"SERVING\",\"startedAt\":\"");
	}

	@Test
	void theNextCommandIsBuiltOncePerUpgrade() throws IOException {
		AtomicInteger builds = new AtomicInteger();
		Path directory = this.temp.toRealPath();
		Files.writeString(directory.resolve("app.jar"), "jar");
		List<String> command = List.of("/usr/bin/java", "-jar", "app.jar");
		NextRelease release = new NextRelease((dir, warn) -> {
			builds.incrementAndGet();
			return command;
		}, WorkingDirectory.choose(directory.toString(), null, command, WorkingDirectory.Lookup.FILE_SYSTEM), null,
				WorkingDirectory.Lookup.FILE_SYSTEM);
		Upgrader upgrader = upgrader(new Listeners(ListenFds.none(), new FakeSockets(), true), null, null, () -> 0);
		upgrader.checkRelease(release);
		upgrader.ready();
		this.launcher.then((listeners, generation) -> {
			try {
				release.command();
			}
			catch (IOException ex) {
				throw new IllegalStateException(ex);
			}
			return FakeChild.exits(2001L, "exited with status 1");
		});
		upgrader.upgrade();
		assertThat(builds.get()).as("the check, the log line and the launch share one build").isEqualTo(1);
	}

	private Upgrader upgrader(Listeners listeners, ParentLink parent, Path pidFile,
			java.util.function.IntSupplier closeApplication) {
		Generation first = new Generation(1, 1001L, null, Instant.now(), Instant.now());
		Upgrader upgrader = new Upgrader(first, this.launcher, listeners, parent, LONG_TIMEOUT);
		PidFile file = (pidFile != null) ? new PidFile(pidFile) : null;
		upgrader.life(this.signals, file, exit(first, listeners, file, closeApplication), false);
		upgrader.addListener(this.events);
		return upgrader;
	}

	private Exit exit(Generation generation, Listeners listeners, PidFile pidFile,
			java.util.function.IntSupplier closeApplication) {
		return new Exit(generation, listeners, pidFile, Duration.ofSeconds(30), Duration.ofSeconds(35),
				closeApplication, this.process);
	}

	private static void closeQuietly(Os os, int fd) {
		try {
			os.fds().close(fd);
		}
		catch (NativeException ex) {
			// already closed
		}
	}

	/**
	 * Keeps the handlers instead of trapping signals; a test runs them as a signal would.
	 */
	static final class FakeSignals implements Signals {

		final AtomicInteger installs = new AtomicInteger();

		volatile Runnable hangup;

		volatile Boolean hangupUpgrades;

		volatile Runnable terminate;

		@Override
		public void onHangup(Runnable trigger, boolean upgrades) {
			this.installs.incrementAndGet();
			this.hangup = trigger;
			this.hangupUpgrades = upgrades;
		}

		@Override
		public void onTerminate(Runnable handler) {
			this.installs.incrementAndGet();
			this.terminate = handler;
		}

	}

	/** Records how the process would have ended, and never ends it. */
	static final class FakeProcess implements Exit.Process {

		final List<String> log = Collections.synchronizedList(new ArrayList<>());

		private final CountDownLatch ended = new CountDownLatch(1);

		private final AtomicBoolean deadlineStarted = new AtomicBoolean();

		volatile Runnable deadline;

		@Override
		public void startDeadline(Duration allowance, Runnable onDeadline) {
			this.deadlineStarted.set(true);
			this.deadline = onDeadline;
			this.log.add("deadline " + allowance);
		}

		@Override
		public void exit(int status) {
			this.log.add("exit " + status);
			this.ended.countDown();
		}

		@Override
		public void halt(int status) {
			this.log.add("halt " + status);
			this.ended.countDown();
		}

		void awaitEnd() throws InterruptedException {
			assertThat(this.ended.await(10, TimeUnit.SECONDS)).as("the process ended").isTrue();
		}

	}

}
