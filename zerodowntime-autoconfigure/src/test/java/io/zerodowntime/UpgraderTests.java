package io.zerodowntime;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import io.zerodowntime.server.ListenerRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Timeout.ThreadMode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Drives the {@link Upgrader} state machine with scripted fake children, the way
 * tableflip's {@code upgrader_test.go} does with its fake process.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = ThreadMode.SEPARATE_THREAD)
class UpgraderTests {

	private static final Duration LONG_TIMEOUT = Duration.ofSeconds(30);

	private static final Duration AWAIT = Duration.ofSeconds(5);

	private final ScriptedLauncher launcher = new ScriptedLauncher();

	private final RecordingListener events = new RecordingListener();

	private final ExecutorService executor = Executors.newCachedThreadPool((task) -> {
		Thread thread = new Thread(task, "zerodowntime-test-upgrade");
		thread.setDaemon(true);
		return thread;
	});

	private final List<Runnable> cleanups = new ArrayList<>();

	@AfterEach
	void cleanUp() {
		Collections.reverse(this.cleanups);
		this.cleanups.forEach(Runnable::run);
		this.executor.shutdownNow();
	}

	@Test
	void whenChildBecomesReadyThenUpgradeSucceedsAndThisGenerationDrains() throws Exception {
		Listeners listeners = new Listeners(ListenFds.none(), new FakeSockets(7, -1), true);
		listeners.claim(new ListenerRequest("http", InetAddress.getLoopbackAddress(), 8080), 100, (s) -> {
		});
		listeners.claim(new ListenerRequest("admin", InetAddress.getLoopbackAddress(), 8081), 100, (s) -> {
		});
		Upgrader upgrader = upgrader(listeners, null, LONG_TIMEOUT);
		upgrader.ready();
		FakeChild child = FakeChild.ready(2001L);
		this.launcher.then(child);
		UpgradeOutcome outcome = upgrader.upgrade();
		assertThat(outcome.outcome()).isEqualTo(UpgradeOutcome.Outcome.SUCCEEDED);
		assertThat(outcome.reason()).isNull();
		assertThat(outcome.generation()).isEqualTo(2);
		assertThat(outcome.childPid()).isEqualTo(2001L);
		assertThat(outcome.durationMs()).isNotNegative();
		assertThat(upgrader.state()).isEqualTo(UpgradeState.DRAINING);
		assertThat(upgrader.lastUpgrade()).isEqualTo(outcome);
		assertThat(child.keptUntilExit.get()).isEqualTo(1);
		assertThat(child.stops.get()).isZero();
		assertThat(child.awaitedWith).isEqualTo(LONG_TIMEOUT);
		assertThat(this.launcher.generations).containsExactly(2);
		assertThat(this.launcher.passed).singleElement()
			.satisfies((passed) -> assertThat(passed).extracting(ListenerHandle::name).containsExactly("http"));
		assertThat(this.events.log).containsExactly("started 2", "succeeded 2 pid 2001");
		assertThat(this.events.outcomes).containsExactly(outcome);
	}

	@Test
	void whenNotReadyYetThenUpgradeIsRefused() {
		Upgrader upgrader = upgrader(null);
		UpgradeOutcome outcome = upgrader.upgrade();
		assertThat(outcome.outcome()).isEqualTo(UpgradeOutcome.Outcome.REFUSED);
		assertThat(outcome.reason()).contains("not ready yet");
		assertThat(outcome.generation()).isEqualTo(1);
		assertThat(outcome.childPid()).isNull();
		assertThat(upgrader.state()).isEqualTo(UpgradeState.STARTING);
		assertThat(upgrader.lastUpgrade()).isNull();
		assertThat(this.launcher.generations).isEmpty();
		assertThat(this.events.log).isEmpty();
	}

	@Test
	void readyIsIdempotent() {
		Upgrader upgrader = upgrader(null);
		upgrader.ready();
		upgrader.ready();
		assertThat(upgrader.state()).isEqualTo(UpgradeState.SERVING);
	}

	@Test
	void whenChildExitsBeforeReadyThenUpgradeFailsAndThisGenerationServesOn() {
		Upgrader upgrader = servingUpgrader();
		FakeChild crashing = FakeChild.exits(2001L, "the new generation (pid 2001) exited before it was ready");
		this.launcher.then(crashing);
		UpgradeOutcome outcome = upgrader.upgrade();
		assertThat(outcome.outcome()).isEqualTo(UpgradeOutcome.Outcome.FAILED);
		assertThat(outcome.reason()).isEqualTo("the new generation (pid 2001) exited before it was ready");
		assertThat(outcome.generation()).isEqualTo(1);
		assertThat(outcome.childPid()).isEqualTo(2001L);
		assertThat(outcome.durationMs()).isNotNegative();
		assertThat(upgrader.state()).isEqualTo(UpgradeState.SERVING);
		assertThat(upgrader.childPid()).isNull();
		assertThat(crashing.stops.get()).isEqualTo(1);
		assertThat(crashing.keptUntilExit.get()).isZero();
		assertThat(this.events.log).containsExactly("started 2",
				"failed 1: the new generation (pid 2001) exited before it was ready");
	}

	@Test
	void whenTheWorkingDirectoryOfTheNextGenerationIsGoneThenUpgradesAreRefusedUntilItIsBack() {
		Upgrader upgrader = servingUpgrader();
		WorkingDirectoryTests.FakeFiles files = new WorkingDirectoryTests.FakeFiles();
		files.link("/opt/app/current", "/opt/app/releases/r1");
		List<String> command = List.of("/usr/bin/java", "-cp", "app.jar", "example.Main");
		WorkingDirectory directory = WorkingDirectory.choose("/opt/app/releases/r1", "/opt/app/current", command,
				files);
		upgrader.checkRelease(new NextRelease((dir, warn) -> command, directory, null, files));
		files.delete("/opt/app/current");
		UpgradeOutcome refused = upgrader.upgrade();
		assertThat(refused.outcome()).isEqualTo(UpgradeOutcome.Outcome.REFUSED);
		assertThat(refused.reason()).contains("/opt/app/current").contains("no longer exists");
		assertThat(upgrader.lastUpgrade()).isEqualTo(refused);
		assertThat(upgrader.state()).isEqualTo(UpgradeState.SERVING);
		assertThat(this.launcher.generations).isEmpty();
		files.link("/opt/app/current", "/opt/app/releases/r2");
		this.launcher.then(FakeChild.ready(2001L));
		assertThat(upgrader.upgrade().outcome()).isEqualTo(UpgradeOutcome.Outcome.SUCCEEDED);
		assertThat(this.launcher.generations).containsExactly(2);
	}

	@Test
	void whenChildExitedThenALaterUpgradeCanSucceed() {
		Upgrader upgrader = servingUpgrader();
		this.launcher.then(FakeChild.exits(2001L, "exited with status 1"));
		FakeChild second = FakeChild.ready(2002L);
		this.launcher.then(second);
		assertThat(upgrader.upgrade().outcome()).isEqualTo(UpgradeOutcome.Outcome.FAILED);
		UpgradeOutcome outcome = upgrader.upgrade();
		assertThat(outcome.outcome()).isEqualTo(UpgradeOutcome.Outcome.SUCCEEDED);
		assertThat(outcome.generation()).isEqualTo(2);
		assertThat(outcome.childPid()).isEqualTo(2002L);
		assertThat(upgrader.state()).isEqualTo(UpgradeState.DRAINING);
		assertThat(this.launcher.generations).containsExactly(2, 2);
		assertThat(this.events.log).containsExactly("started 2", "failed 1: exited with status 1", "started 2",
				"succeeded 2 pid 2002");
	}

	@Test
	void whenChildIsNotReadyWithinTheTimeoutThenUpgradeFailsAndChildIsStopped() {
		Duration timeout = Duration.ofMillis(200);
		Upgrader upgrader = upgrader(new Listeners(ListenFds.none(), new FakeSockets(), true), null, timeout);
		upgrader.ready();
		FakeChild slow = FakeChild.blocking(2001L);
		this.launcher.then(slow);
		UpgradeOutcome outcome = upgrader.upgrade();
		assertThat(slow.awaitedWith).isEqualTo(timeout);
		assertThat(outcome.outcome()).isEqualTo(UpgradeOutcome.Outcome.FAILED);
		assertThat(outcome.reason()).contains("upgrade timeout of 200 ms");
		assertThat(outcome.durationMs()).isGreaterThanOrEqualTo(200);
		assertThat(outcome.childPid()).isEqualTo(2001L);
		assertThat(slow.stops.get()).isEqualTo(1);
		assertThat(upgrader.state()).isEqualTo(UpgradeState.SERVING);
	}

	@Test
	void whenLauncherCannotSpawnThenUpgradeFailsAndNothingIsStopped() {
		Upgrader upgrader = servingUpgrader();
		this.launcher.thenThrow(new IOException("Unable to spawn /usr/bin/java: No such file or directory"));
		UpgradeOutcome outcome = upgrader.upgrade();
		assertThat(outcome.outcome()).isEqualTo(UpgradeOutcome.Outcome.FAILED);
		assertThat(outcome.reason()).isEqualTo("Unable to spawn /usr/bin/java: No such file or directory");
		assertThat(outcome.childPid()).isNull();
		assertThat(outcome.generation()).isEqualTo(1);
		assertThat(upgrader.state()).isEqualTo(UpgradeState.SERVING);
		assertThat(this.events.log).containsExactly("started 2",
				"failed 1: Unable to spawn /usr/bin/java: No such file or directory");
	}

	@Test
	void whenLauncherThrowsAnErrorThenUpgradeFailsAndSingleFlightIsReleased() {
		Upgrader upgrader = servingUpgrader();
		this.launcher.thenThrow(new StackOverflowError("scripted"));
		this.launcher.then(FakeChild.ready(2002L));
		UpgradeOutcome outcome = upgrader.upgrade();
		assertThat(outcome.outcome()).isEqualTo(UpgradeOutcome.Outcome.FAILED);
		assertThat(outcome.reason()).contains("StackOverflowError").contains("scripted");
		assertThat(upgrader.state()).isEqualTo(UpgradeState.SERVING);
		assertThat(upgrader.upgrade().outcome()).isEqualTo(UpgradeOutcome.Outcome.SUCCEEDED);
	}

	@Test
	void whenLauncherThrowsARuntimeExceptionThenUpgradeFailsAndSingleFlightIsReleased() {
		Upgrader upgrader = servingUpgrader();
		this.launcher.thenThrow(new IllegalStateException("scripted"));
		UpgradeOutcome outcome = upgrader.upgrade();
		assertThat(outcome.outcome()).isEqualTo(UpgradeOutcome.Outcome.FAILED);
		assertThat(outcome.reason()).contains("IllegalStateException: scripted");
		assertThat(upgrader.state()).isEqualTo(UpgradeState.SERVING);
	}

	@Test
	void whenUpgradeInProgressThenSecondIsRefusedAndFirstStillCompletes() throws Exception {
		Upgrader upgrader = servingUpgrader();
		FakeChild child = FakeChild.blocking(2001L);
		this.launcher.then(child);
		Future<UpgradeOutcome> first = this.executor.submit(upgrader::upgrade);
		awaitAwaitingReady(child);
		assertThat(upgrader.state()).isEqualTo(UpgradeState.UPGRADING);
		assertThat(upgrader.childPid()).isEqualTo(2001L);
		UpgradeOutcome second = upgrader.upgrade();
		assertThat(second.outcome()).isEqualTo(UpgradeOutcome.Outcome.REFUSED);
		assertThat(second.reason()).contains("already in progress").contains("pid 2001");
		assertThat(second.durationMs()).isZero();
		assertThat(first.isDone()).isFalse();
		child.becomeReady();
		UpgradeOutcome outcome = first.get(5, TimeUnit.SECONDS);
		assertThat(outcome.outcome()).isEqualTo(UpgradeOutcome.Outcome.SUCCEEDED);
		assertThat(upgrader.state()).isEqualTo(UpgradeState.DRAINING);
		assertThat(upgrader.lastUpgrade()).isEqualTo(outcome);
		assertThat(this.launcher.generations).containsExactly(2);
		assertThat(this.events.log).containsExactly("started 2", "succeeded 2 pid 2001");
	}

	@Test
	void whenUpgradeInProgressBeforePidIsKnownThenSecondIsRefused() throws Exception {
		Upgrader upgrader = servingUpgrader();
		CountDownLatch launching = new CountDownLatch(1);
		CountDownLatch release = new CountDownLatch(1);
		FakeChild child = FakeChild.ready(2001L);
		this.launcher.then((listeners, generation) -> {
			launching.countDown();
			awaitRelease(release);
			return child;
		});
		Future<UpgradeOutcome> first = this.executor.submit(upgrader::upgrade);
		assertThat(launching.await(5, TimeUnit.SECONDS)).isTrue();
		UpgradeOutcome second = upgrader.upgrade();
		assertThat(second.outcome()).isEqualTo(UpgradeOutcome.Outcome.REFUSED);
		assertThat(second.reason()).isEqualTo("an upgrade is already in progress");
		release.countDown();
		assertThat(first.get(5, TimeUnit.SECONDS).outcome()).isEqualTo(UpgradeOutcome.Outcome.SUCCEEDED);
	}

	@Test
	void whenAlreadyUpgradedThenAnotherUpgradeIsRefused() {
		Upgrader upgrader = servingUpgrader();
		this.launcher.then(FakeChild.ready(2001L));
		this.launcher.then(FakeChild.ready(2002L));
		UpgradeOutcome succeeded = upgrader.upgrade();
		UpgradeOutcome outcome = upgrader.upgrade();
		assertThat(outcome.outcome()).isEqualTo(UpgradeOutcome.Outcome.REFUSED);
		assertThat(outcome.reason()).contains("already been upgraded").contains("draining");
		assertThat(upgrader.state()).isEqualTo(UpgradeState.DRAINING);
		assertThat(upgrader.lastUpgrade()).isEqualTo(succeeded);
		assertThat(this.launcher.generations).containsExactly(2);
	}

	@Test
	void whenStoppedDuringUpgradeThenChildIsStoppedAndUpgradeFails() throws Exception {
		Upgrader upgrader = servingUpgrader();
		FakeChild child = FakeChild.blocking(2001L);
		this.launcher.then(child);
		Future<UpgradeOutcome> upgrade = this.executor.submit(upgrader::upgrade);
		awaitAwaitingReady(child);
		assertThat(upgrader.stop()).isTrue();
		assertThat(child.stops.get()).isPositive();
		UpgradeOutcome outcome = upgrade.get(5, TimeUnit.SECONDS);
		assertThat(outcome.outcome()).isEqualTo(UpgradeOutcome.Outcome.FAILED);
		assertThat(outcome.childPid()).isEqualTo(2001L);
		assertThat(outcome.reason()).as("why it failed")
			.isEqualTo("this generation was told to stop during the upgrade");
		assertThat(child.keptUntilExit.get()).isZero();
		assertThat(upgrader.state()).isEqualTo(UpgradeState.STOPPING);
		assertThat(upgrader.stop()).isFalse();
		assertThat(this.events.log).containsExactly("started 2", "failed 1: " + outcome.reason());
	}

	@Test
	void whenStoppedWhileTheChildIsBeingLaunchedThenItIsStoppedAsSoonAsItExists() throws Exception {
		Upgrader upgrader = servingUpgrader();
		CountDownLatch launching = new CountDownLatch(1);
		CountDownLatch release = new CountDownLatch(1);
		FakeChild child = FakeChild.ready(2001L);
		this.launcher.then((listeners, generation) -> {
			launching.countDown();
			awaitRelease(release);
			return child;
		});
		Future<UpgradeOutcome> upgrade = this.executor.submit(upgrader::upgrade);
		assertThat(launching.await(5, TimeUnit.SECONDS)).isTrue();
		assertThat(upgrader.stop()).isTrue();
		release.countDown();
		UpgradeOutcome outcome = upgrade.get(5, TimeUnit.SECONDS);
		assertThat(outcome.outcome()).isEqualTo(UpgradeOutcome.Outcome.FAILED);
		assertThat(outcome.reason()).contains("told to stop during the upgrade");
		assertThat(outcome.childPid()).isEqualTo(2001L);
		assertThat(child.stops.get()).isEqualTo(1);
		assertThat(child.awaitedWith).isNull();
		assertThat(child.keptUntilExit.get()).isZero();
		assertThat(upgrader.state()).isEqualTo(UpgradeState.STOPPING);
	}

	@Test
	void whenStoppedWhileServingThenItMayDrainOnlyOnce() {
		Upgrader upgrader = servingUpgrader();
		assertThat(upgrader.stop()).isTrue();
		assertThat(upgrader.state()).isEqualTo(UpgradeState.STOPPING);
		assertThat(upgrader.stop()).isFalse();
		UpgradeOutcome outcome = upgrader.upgrade();
		assertThat(outcome.outcome()).isEqualTo(UpgradeOutcome.Outcome.REFUSED);
		assertThat(outcome.reason()).contains("stopping");
		assertThat(this.launcher.generations).isEmpty();
	}

	@Test
	void whenStoppedWhileStartingThenItMayDrain() {
		Upgrader upgrader = upgrader(null);
		assertThat(upgrader.stop()).isTrue();
		assertThat(upgrader.state()).isEqualTo(UpgradeState.STOPPING);
		upgrader.ready();
		assertThat(upgrader.state()).isEqualTo(UpgradeState.STOPPING);
	}

	@Test
	void whenDrainingThenStopReturnsFalse() {
		Upgrader upgrader = servingUpgrader();
		this.launcher.then(FakeChild.ready(2001L));
		upgrader.upgrade();
		assertThat(upgrader.stop()).isFalse();
		assertThat(upgrader.state()).isEqualTo(UpgradeState.DRAINING);
	}

	@Test
	void whenParentHasNotExitedThenUpgradeIsRefusedUntilItHas() throws Exception {
		Os posix = Os.posix();
		int[] pair = posix.sockets().socketPair();
		AtomicBoolean parentEndClosed = new AtomicBoolean();
		Runnable closeParentEnd = () -> {
			if (parentEndClosed.compareAndSet(false, true)) {
				closeQuietly(posix, pair[1]);
			}
		};
		ParentLink parent = new ParentLink(posix, pair[0], 1001L);
		this.cleanups.add(() -> closeQuietly(posix, pair[0]));
		this.cleanups.add(() -> {
			closeParentEnd.run();
			await().atMost(AWAIT).until(parent::parentExited);
		});
		Generation second = new Generation(2, 2001L, 1001L, Instant.now(), Instant.now().minusSeconds(60));
		Upgrader upgrader = new Upgrader(second, this.launcher,
				new Listeners(ListenFds.none(), new FakeSockets(), true), parent, LONG_TIMEOUT);
		upgrader.addListener(this.events);
		upgrader.ready();
		byte[] buffer = new byte[64];
		int count = posix.fds().read(pair[1], buffer, 0, buffer.length);
		assertThat(new String(buffer, 0, count, StandardCharsets.UTF_8)).isEqualTo(Handshake.READY + "\n");
		this.launcher.then(FakeChild.ready(3001L));
		UpgradeOutcome refused = upgrader.upgrade();
		assertThat(refused.outcome()).isEqualTo(UpgradeOutcome.Outcome.REFUSED);
		assertThat(refused.reason()).contains("has not exited").contains("pid 1001");
		assertThat(refused.generation()).isEqualTo(2);
		assertThat(upgrader.lastUpgrade()).as("a refusal while serving is the news").isEqualTo(refused);
		assertThat(upgrader.state()).isEqualTo(UpgradeState.SERVING);
		assertThat(this.launcher.generations).isEmpty();
		closeParentEnd.run();
		await().atMost(AWAIT).until(parent::parentExited);
		UpgradeOutcome outcome = upgrader.upgrade();
		assertThat(outcome.outcome()).isEqualTo(UpgradeOutcome.Outcome.SUCCEEDED);
		assertThat(outcome.generation()).isEqualTo(3);
		assertThat(outcome.childPid()).isEqualTo(3001L);
		assertThat(this.launcher.generations).containsExactly(3);
	}

	@Test
	void whenThePreviousGenerationHasADeadlineThenTheRefusalSaysUntilWhen() throws Exception {
		Os posix = Os.posix();
		int[] pair = posix.sockets().socketPair();
		ParentLink parent = new ParentLink(posix, pair[0], 1001L);
		this.cleanups.add(() -> closeQuietly(posix, pair[0]));
		this.cleanups.add(() -> {
			closeQuietly(posix, pair[1]);
			await().atMost(AWAIT).until(parent::parentExited);
		});
		Generation second = new Generation(2, 2001L, 1001L, Instant.now(), Instant.now().minusSeconds(60));
		Upgrader upgrader = new Upgrader(second, this.launcher,
				new Listeners(ListenFds.none(), new FakeSockets(), true), parent, LONG_TIMEOUT);
		upgrader.predecessorAllowance(Duration.ofHours(1));
		Instant before = Instant.now();
		upgrader.ready();
		assertThat(parent.deadline()).isNotNull();
		assertThat(parent.deadline().deadline()).isBetween(before.plus(Duration.ofHours(1)),
				Instant.now().plus(Duration.ofHours(1)).plus(PredecessorDeadline.MARGIN));
		UpgradeOutcome refused = upgrader.upgrade();
		assertThat(refused.outcome()).isEqualTo(UpgradeOutcome.Outcome.REFUSED);
		assertThat(refused.reason()).startsWith("the previous generation (pid 1001) has not exited yet")
			.contains("it is killed if it has not exited by "
					+ parent.deadline().deadline().truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
		assertThat(this.launcher.generations).isEmpty();
	}

	@Test
	void whenThisGenerationIsPidOneThenItServesButEveryUpgradeIsRefusedWithTheFix() {
		Upgrader upgrader = upgrader(null);
		upgrader.unavailable(InitProcess.problem(1, 0, null, null, null));
		upgrader.ready();
		assertThat(upgrader.state()).isEqualTo(UpgradeState.SERVING);
		assertThat(upgrader.unavailable()).contains("PID 1").contains("replacing the container");
		for (int i = 0; i < 2; i++) {
			UpgradeOutcome refused = upgrader.upgrade();
			assertThat(refused.outcome()).isEqualTo(UpgradeOutcome.Outcome.REFUSED);
			assertThat(refused.reason()).isEqualTo("upgrades are not possible: " + upgrader.unavailable());
			assertThat(upgrader.lastUpgrade()).isEqualTo(refused);
		}
		assertThat(this.launcher.generations).isEmpty();
		assertThat(upgrader.state()).isEqualTo(UpgradeState.SERVING);
	}

	@Test
	void whenThisGenerationCannotUpgradeThenARequestBeforeReadyIsRefusedWithThatReasonNotNotReadyYet() {
		Upgrader upgrader = upgrader(null);
		upgrader.unavailable(InitProcess.problem(1, 0, null, null, null));
		UpgradeOutcome refused = upgrader.upgrade();
		assertThat(refused.outcome()).isEqualTo(UpgradeOutcome.Outcome.REFUSED);
		assertThat(refused.reason()).isEqualTo("upgrades are not possible: " + upgrader.unavailable());
		assertThat(upgrader.lastUpgrade()).isEqualTo(refused);
		assertThat(upgrader.state()).isEqualTo(UpgradeState.STARTING);
		assertThat(this.launcher.generations).isEmpty();
	}

	@Test
	void listenersAreToldOfEachStepInOrder() {
		Upgrader upgrader = servingUpgrader();
		RecordingListener other = new RecordingListener();
		upgrader.addListener(other);
		this.launcher.thenThrow(new IOException("no such file"));
		this.launcher.then(FakeChild.exits(2002L, "exited with status 3"));
		this.launcher.then(FakeChild.ready(2003L));
		upgrader.upgrade();
		upgrader.upgrade();
		upgrader.upgrade();
		upgrader.upgrade();
		List<String> expected = List.of("started 2", "failed 1: no such file", "started 2",
				"failed 1: exited with status 3", "started 2", "succeeded 2 pid 2003");
		assertThat(this.events.log).containsExactlyElementsOf(expected);
		assertThat(other.log).containsExactlyElementsOf(expected);
	}

	@Test
	void lastUpgradeReflectsTheLastAttemptThatWasStartedNotRefusalsWhileStartingOrDraining() {
		Upgrader upgrader = upgrader(null);
		assertThat(upgrader.lastUpgrade()).isNull();
		upgrader.upgrade();
		assertThat(upgrader.lastUpgrade()).isNull();
		upgrader.ready();
		Instant before = Instant.now();
		this.launcher.then(FakeChild.exits(2001L, "exited with status 1"));
		UpgradeOutcome failed = upgrader.upgrade();
		assertThat(upgrader.lastUpgrade()).isEqualTo(failed);
		assertThat(failed.startedAt()).isBetween(before, Instant.now());
		assertThat(failed.durationMs()).isNotNegative();
		this.launcher.then(FakeChild.ready(2002L));
		UpgradeOutcome succeeded = upgrader.upgrade();
		assertThat(upgrader.lastUpgrade()).isEqualTo(succeeded);
		assertThat(succeeded.durationMs()).isNotNegative();
		upgrader.upgrade();
		assertThat(upgrader.lastUpgrade()).as("a refusal while draining hides nothing").isEqualTo(succeeded);
	}

	@Test
	void whenAListenerThrowsOnUpgradeStartedThenSingleFlightIsNotStuck() {
		Upgrader upgrader = servingUpgrader();
		upgrader.addListener(new UpgradeListener() {
			@Override
			public void upgradeStarted(int generation) {
				throw new IllegalStateException("listener failed");
			}
		});
		this.launcher.then(FakeChild.ready(2001L));
		try {
			upgrader.upgrade();
		}
		catch (RuntimeException ex) {
			// whether it propagates is secondary; the state must not be left UPGRADING
		}
		assertThat(upgrader.state()).isNotEqualTo(UpgradeState.UPGRADING);
		assertThat(upgrader.upgrade().reason()).doesNotContain("already in progress");
	}

	@Test
	void whenAListenerThrowsOnUpgradeSucceededThenTheOthersAreStillTold() {
		Upgrader upgrader = servingUpgrader();
		upgrader.addListener(new UpgradeListener() {
			@Override
			public void upgradeSucceeded(UpgradeOutcome outcome) {
				throw new IllegalStateException("listener failed");
			}
		});
		RecordingListener later = new RecordingListener();
		upgrader.addListener(later);
		this.launcher.then(FakeChild.ready(2001L));
		try {
			upgrader.upgrade();
		}
		catch (RuntimeException ex) {
			// whether it propagates is secondary; every listener must be told
		}
		assertThat(later.log).containsExactly("started 2", "succeeded 2 pid 2001");
	}

	@Test
	void whenInterruptedWhileAwaitingReadinessThenChildIsStopped() throws Exception {
		Upgrader upgrader = servingUpgrader();
		FakeChild child = FakeChild.blocking(2001L);
		this.launcher.then(child);
		Future<UpgradeOutcome> upgrade = this.executor.submit(upgrader::upgrade);
		awaitAwaitingReady(child);
		upgrade.cancel(true);
		await().atMost(AWAIT).until(() -> upgrader.state() != UpgradeState.UPGRADING);
		assertThat(upgrader.lastUpgrade().outcome()).isEqualTo(UpgradeOutcome.Outcome.FAILED);
		assertThat(child.stops.get()).isEqualTo(1);
	}

	@Test
	void whenAwaitingReadinessThrowsThenChildIsStopped() {
		Upgrader upgrader = servingUpgrader();
		FakeChild child = FakeChild.throwing(2001L, new IllegalStateException("handshake broken"));
		this.launcher.then(child);
		UpgradeOutcome outcome = upgrader.upgrade();
		assertThat(outcome.outcome()).isEqualTo(UpgradeOutcome.Outcome.FAILED);
		assertThat(upgrader.state()).isEqualTo(UpgradeState.SERVING);
		assertThat(child.stops.get()).isEqualTo(1);
	}

	@Test
	void whenInterruptedWhileAwaitingReadinessThenInterruptIsPreserved() throws Exception {
		Upgrader upgrader = servingUpgrader();
		this.launcher.then(FakeChild.throwing(2001L, new InterruptedException("scripted")));
		CompletableFuture<Boolean> interrupted = CompletableFuture.supplyAsync(() -> {
			upgrader.upgrade();
			return Thread.interrupted();
		}, this.executor);
		assertThat(interrupted.get(5, TimeUnit.SECONDS)).isTrue();
	}

	@Test
	void whenPlatformIsUnsupportedThenEveryUpgradeIsRefusedWithTheReasonAndNothingIsLaunched() {
		Generation first = new Generation(1, 1001L, null, Instant.now(), Instant.now());
		String reason = new Platform("FreeBSD", "amd64").unsupportedReason();
		Upgrader upgrader = Upgrader.unsupported(first, reason);
		upgrader.addListener(this.events);
		assertThat(upgrader.state()).isEqualTo(UpgradeState.UNSUPPORTED);
		assertThat(upgrader.unavailable()).isEqualTo(reason);
		upgrader.warmUp();
		upgrader.ready();
		assertThat(upgrader.state()).as("ready() does not make it upgradable").isEqualTo(UpgradeState.UNSUPPORTED);
		for (int i = 0; i < 2; i++) {
			UpgradeOutcome outcome = upgrader.upgrade();
			assertThat(outcome.outcome()).isEqualTo(UpgradeOutcome.Outcome.REFUSED);
			assertThat(outcome.reason()).isEqualTo(reason).contains("FreeBSD/amd64");
			assertThat(outcome.generation()).isEqualTo(1);
			assertThat(outcome.childPid()).isNull();
			assertThat(upgrader.lastUpgrade()).as("the refusal is the news").isEqualTo(outcome);
		}
		assertThat(upgrader.stop()).as("Spring Boot's own shutdown stops it, not a drain").isFalse();
		assertThat(upgrader.state()).isEqualTo(UpgradeState.UNSUPPORTED);
		assertThat(this.launcher.generations).isEmpty();
	}

	@Test
	void supportedPlatformHasNoUnsupportedReason() {
		assertThat(servingUpgrader().unavailable()).isNull();
	}

	private Upgrader servingUpgrader() {
		Upgrader upgrader = upgrader(null);
		upgrader.ready();
		return upgrader;
	}

	private Upgrader upgrader(ParentLink parent) {
		return upgrader(new Listeners(ListenFds.none(), new FakeSockets(), true), parent, LONG_TIMEOUT);
	}

	private Upgrader upgrader(Listeners listeners, ParentLink parent, Duration timeout) {
		Generation first = new Generation(1, 1001L, null, Instant.now(), Instant.now());
		Upgrader upgrader = new Upgrader(first, this.launcher, listeners, parent, timeout);
		upgrader.addListener(this.events);
		return upgrader;
	}

	private static void awaitAwaitingReady(FakeChild child) throws InterruptedException {
		assertThat(child.awaiting.await(5, TimeUnit.SECONDS)).as("child is awaited").isTrue();
	}

	private static void awaitRelease(CountDownLatch latch) throws IOException {
		try {
			if (!latch.await(10, TimeUnit.SECONDS)) {
				throw new IOException("test latch was never released");
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IOException(ex);
		}
	}

	private static void closeQuietly(Os posix, int fd) {
		try {
			posix.fds().close(fd);
		}
		catch (NativeException ex) {
			// already closed
		}
	}

	/** One scripted launch. */
	@FunctionalInterface
	interface Launch {

		Child launch(List<ListenerHandle> listeners, int generation) throws IOException;

	}

	/** Launches what the script says, in order; records what it was asked to launch. */
	static final class ScriptedLauncher implements ChildLauncher {

		private final Deque<Launch> script = new ArrayDeque<>();

		final List<Integer> generations = Collections.synchronizedList(new ArrayList<>());

		final List<List<ListenerHandle>> passed = Collections.synchronizedList(new ArrayList<>());

		synchronized void then(Child child) {
			this.script.add((listeners, generation) -> child);
		}

		synchronized void then(Launch launch) {
			this.script.add(launch);
		}

		synchronized void thenThrow(Throwable failure) {
			this.script.add((listeners, generation) -> {
				if (failure instanceof IOException io) {
					throw io;
				}
				if (failure instanceof Error error) {
					throw error;
				}
				throw (RuntimeException) failure;
			});
		}

		@Override
		public Child launch(List<ListenerHandle> listeners, int generation) throws IOException {
			Launch next;
			synchronized (this) {
				next = this.script.poll();
			}
			if (next == null) {
				throw new AssertionError("unexpected launch of generation " + generation);
			}
			this.generations.add(generation);
			this.passed.add(List.copyOf(listeners));
			return next.launch(listeners, generation);
		}

	}

	/**
	 * A new generation whose readiness is scripted: ready at once, exited with a reason,
	 * or blocking until told (by {@link #becomeReady()}, by {@link #stop(Duration)} like
	 * a real process exiting on SIGTERM, or by the timeout passing, reported in the words
	 * of {@link NativeChild}).
	 */
	static final class FakeChild implements Child {

		private final Long pid;

		private final CompletableFuture<String> readiness = new CompletableFuture<>();

		private final Exception awaitFailure;

		final CountDownLatch awaiting = new CountDownLatch(1);

		final AtomicInteger stops = new AtomicInteger();

		final AtomicInteger keptUntilExit = new AtomicInteger();

		volatile Duration awaitedWith;

		/** What the old generation told it after it was ready, one line each. */
		final List<String> told = Collections.synchronizedList(new ArrayList<>());

		/** Thrown when told of its probation, if set. */
		volatile RuntimeException probationFailure;

		private final CountDownLatch exit = new CountDownLatch(1);

		private Child.Watch watch;

		private FakeChild(Long pid, Exception awaitFailure) {
			this.pid = pid;
			this.awaitFailure = awaitFailure;
		}

		static FakeChild ready(Long pid) {
			FakeChild child = new FakeChild(pid, null);
			child.readiness.complete(null);
			return child;
		}

		static FakeChild exits(Long pid, String reason) {
			FakeChild child = new FakeChild(pid, null);
			child.readiness.complete(reason);
			return child;
		}

		static FakeChild blocking(Long pid) {
			return new FakeChild(pid, null);
		}

		static FakeChild throwing(Long pid, Exception failure) {
			return new FakeChild(pid, failure);
		}

		void becomeReady() {
			this.readiness.complete(null);
		}

		@Override
		public Long pid() {
			return this.pid;
		}

		@Override
		public String awaitReady(Duration timeout) throws InterruptedException {
			this.awaitedWith = timeout;
			this.awaiting.countDown();
			if (this.awaitFailure instanceof InterruptedException interrupted) {
				throw interrupted;
			}
			if (this.awaitFailure != null) {
				throw (RuntimeException) this.awaitFailure;
			}
			try {
				return this.readiness.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
			}
			catch (TimeoutException ex) {
				return "the new generation (pid " + this.pid + ") was not ready within the upgrade timeout of "
						+ timeout.toMillis() + " ms";
			}
			catch (ExecutionException ex) {
				throw new AssertionError(ex);
			}
		}

		@Override
		public void stop(Duration grace) {
			this.stops.incrementAndGet();
			this.readiness.complete("the new generation (pid " + this.pid + ") exited before it was ready");
			exitNow();
		}

		@Override
		public void keepUntilExit() {
			this.keptUntilExit.incrementAndGet();
		}

		/** It exits: end of its handshake. */
		void exitNow() {
			Child.Watch current;
			synchronized (this) {
				if (this.exit.getCount() == 0) {
					return;
				}
				this.exit.countDown();
				current = this.watch;
			}
			if (current != null) {
				current.exited();
			}
		}

		/** A sign it sends after it is ready. */
		synchronized Child.Watch watcher() {
			return this.watch;
		}

		@Override
		public void watch(Child.Watch watch) {
			synchronized (this) {
				this.watch = watch;
			}
			if (this.exit.getCount() == 0) {
				watch.exited();
			}
		}

		@Override
		public void startProbation(Instant until, long upgradeMillis) {
			if (this.probationFailure != null) {
				throw this.probationFailure;
			}
			this.told.add("PROBATION " + ((until != null) ? "until" : "none"));
		}

		@Override
		public void confirm() {
			this.told.add("CONFIRMED");
		}

		@Override
		public void rollBack(String reason) {
			this.told.add("ROLLBACK " + reason);
		}

		@Override
		public boolean awaitExit(Duration timeout) throws InterruptedException {
			return this.exit.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
		}

	}

	/** Binds nothing: hands out the scripted descriptors in order. */
	static final class FakeSockets implements ListenerSockets {

		private final Deque<Integer> fds = new ArrayDeque<>();

		FakeSockets(int... fds) {
			for (int fd : fds) {
				this.fds.add(fd);
			}
		}

		@Override
		public Adopted adopt(InheritedFd fd) {
			throw new AssertionError("nothing is inherited");
		}

		@Override
		public Adopted bind(InetSocketAddress address, int backlog, SocketConfigurer configurer) {
			return new Adopted(null, address, this.fds.remove());
		}

		@Override
		public Adopted duplicate(Adopted original) {
			throw new AssertionError("nothing is suspended");
		}

		@Override
		public void close(int fd) {
		}

	}

	/** Records each upgrade step. */
	static final class RecordingListener implements UpgradeListener {

		final List<String> log = Collections.synchronizedList(new ArrayList<>());

		final List<UpgradeOutcome> outcomes = Collections.synchronizedList(new ArrayList<>());

		@Override
		public void upgradeStarted(int generation) {
			this.log.add("started " + generation);
		}

		@Override
		public void upgradeSucceeded(UpgradeOutcome outcome) {
			this.outcomes.add(outcome);
			this.log.add("succeeded " + outcome.generation() + " pid " + outcome.childPid());
		}

		@Override
		public void upgradeFailed(UpgradeOutcome outcome) {
			this.outcomes.add(outcome);
			this.log.add("failed " + outcome.generation() + ": " + outcome.reason());
		}

	}

}
