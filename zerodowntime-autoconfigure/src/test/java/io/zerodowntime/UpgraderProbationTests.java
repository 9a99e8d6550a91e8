package io.zerodowntime;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import io.zerodowntime.UpgraderTests.FakeChild;
import io.zerodowntime.UpgraderTests.ScriptedLauncher;
import io.zerodowntime.server.ListenerRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Timeout.ThreadMode;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Drives the {@link Upgrader} through a new generation's probation with scripted fake
 * children: the old generation stops accepting but keeps its sockets, and either lets the
 * new one keep the traffic or takes it back at once.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = ThreadMode.SEPARATE_THREAD)
class UpgraderProbationTests {

	private static final Duration LONG = Duration.ofSeconds(20);

	private static final Duration AWAIT = Duration.ofSeconds(5);

	private final ScriptedLauncher launcher = new ScriptedLauncher();

	private final ChannelSockets sockets = new ChannelSockets();

	private final Listeners listeners = new Listeners(ListenFds.none(), this.sockets, true);

	private final Events events = new Events();

	private final ExecutorService executor = Executors.newCachedThreadPool((task) -> {
		Thread thread = new Thread(task, "zerodowntime-test-upgrade");
		thread.setDaemon(true);
		return thread;
	});

	@TempDir
	Path directory;

	@AfterEach
	void cleanUp() throws IOException {
		this.executor.shutdownNow();
		for (ListenerHandle listener : this.listeners.open()) {
			listener.close();
		}
		this.sockets.closeAll();
	}

	@Test
	void whenTheNewGenerationKeepsTheTrafficThroughItsProbationThenTheUpgradeSucceedsAtItsEnd() throws Exception {
		ListenerHandle http = claim("http", 7);
		FakeDrainTarget target = attach(http);
		Upgrader upgrader = servingUpgrader(new Probation.Rules(Duration.ofMillis(300), 0.05, 20));
		FakeChild child = FakeChild.ready(2001L);
		this.launcher.then(child);
		Future<UpgradeOutcome> upgrade = this.executor.submit(upgrader::upgrade);
		await().atMost(AWAIT).until(() -> child.told.contains("PROBATION until"));
		assertThat(http.suspended()).isTrue();
		assertThat(this.listeners.isAccepting()).isFalse();
		assertThat(target.calls).filteredOn((call) -> call.startsWith("keepAlive")).containsExactly("keepAlive false");
		assertThat(upgrader.state()).isEqualTo(UpgradeState.UPGRADING);
		UpgradeOutcome refused = upgrader.upgrade();
		assertThat(refused.reason()).contains("new generation pid 2001, on probation until ");
		child.watcher().requests(100, 5);
		UpgradeOutcome outcome = upgrade.get(LONG.toMillis(), TimeUnit.MILLISECONDS);
		assertThat(outcome.outcome()).isEqualTo(UpgradeOutcome.Outcome.SUCCEEDED);
		assertThat(outcome.generation()).isEqualTo(2);
		assertThat(outcome.childPid()).isEqualTo(2001L);
		assertThat(upgrader.state()).isEqualTo(UpgradeState.DRAINING);
		assertThat(upgrader.lastUpgrade()).isEqualTo(outcome);
		assertThat(child.told).containsExactly("PROBATION until", "CONFIRMED");
		assertThat(child.keptUntilExit.get()).isEqualTo(1);
		assertThat(child.stops.get()).isZero();
		assertThat(this.events.log).containsExactly("started 2", "succeeded 2 pid 2001");
	}

	@Test
	void whenTheNewGenerationExitsDuringItsProbationThenThisOneAcceptsAgainAtOnceAndReportsRolledBack()
			throws Exception {
		ListenerHandle http = claim("http", 7);
		ServerSocketChannel before = http.channel();
		FakeDrainTarget target = attach(http);
		Path pidFile = this.directory.resolve("app.pid");
		Upgrader upgrader = upgrader(new Probation.Rules(LONG, null, 0));
		upgrader.life(Signals.NONE, new PidFile(pidFile), null, false);
		upgrader.ready();
		assertThat(Files.readString(pidFile).trim()).isEqualTo("1001");
		FakeChild child = FakeChild.ready(2001L);
		this.launcher.then(child);
		Future<UpgradeOutcome> upgrade = this.executor.submit(upgrader::upgrade);
		await().atMost(AWAIT).until(() -> child.told.contains("PROBATION until"));
		assertThat(before.isOpen()).as("the channel is closed to wake the acceptor").isFalse();
		Files.writeString(pidFile, "2001\n");
		child.exitNow();
		UpgradeOutcome outcome = upgrade.get(LONG.toMillis(), TimeUnit.MILLISECONDS);
		assertThat(outcome.outcome()).isEqualTo(UpgradeOutcome.Outcome.ROLLED_BACK);
		assertThat(outcome.reason())
			.isEqualTo("the new generation (pid 2001) exited during its probation; see its log for why");
		assertThat(outcome.generation()).isEqualTo(1);
		assertThat(outcome.childPid()).isEqualTo(2001L);
		assertThat(upgrader.state()).isEqualTo(UpgradeState.SERVING);
		assertThat(upgrader.lastUpgrade()).isEqualTo(outcome);
		assertThat(this.listeners.isAccepting()).isTrue();
		assertThat(http.suspended()).isFalse();
		assertThat(http.channel()).isSameAs(this.sockets.copies.get(0).channel()).isNotSameAs(before);
		assertThat(http.channel().isOpen()).isTrue();
		assertThat(http.fd()).as("the copy is passed at the next upgrade").isEqualTo(107);
		assertThat(target.calls).filteredOn((call) -> call.startsWith("keepAlive"))
			.containsExactly("keepAlive false", "keepAlive true");
		assertThat(Files.readString(pidFile).trim()).isEqualTo("1001");
		assertThat(child.told).containsExactly("PROBATION until",
				"ROLLBACK the new generation (pid 2001) exited during its probation; see its log for why");
		assertThat(this.events.log).containsExactly("started 2", "rolled back 1 pid 2001: "
				+ "the new generation (pid 2001) exited during its probation; see its log for why");
	}

	@Test
	void whenTheNewGenerationIsNotReadyAnyMoreThenItIsRolledBackAndNoUpgradeStartsUntilItHasExited() throws Exception {
		claim("http", 7);
		Upgrader upgrader = servingUpgrader(new Probation.Rules(LONG, null, 0));
		FakeChild child = FakeChild.ready(2001L);
		this.launcher.then(child);
		Future<UpgradeOutcome> upgrade = this.executor.submit(upgrader::upgrade);
		await().atMost(AWAIT).until(() -> child.watcher() != null);
		child.watcher().notReady("readiness state REFUSING_TRAFFIC");
		UpgradeOutcome outcome = upgrade.get(LONG.toMillis(), TimeUnit.MILLISECONDS);
		assertThat(outcome.outcome()).isEqualTo(UpgradeOutcome.Outcome.ROLLED_BACK);
		assertThat(outcome.reason())
			.isEqualTo("the new generation (pid 2001) is not ready: readiness state REFUSING_TRAFFIC");
		UpgradeOutcome refused = upgrader.upgrade();
		assertThat(refused.outcome()).isEqualTo(UpgradeOutcome.Outcome.REFUSED);
		assertThat(refused.reason()).startsWith("the rolled-back generation (pid 2001) is still draining");
		assertThat(this.launcher.generations).containsExactly(2);
		child.exitNow();
		upgrader.probation(Probation.Rules.OFF);
		this.launcher.then(FakeChild.ready(2002L));
		await().atMost(AWAIT)
			.until(() -> upgrader.upgradeTriggeredBy("test").outcome() == UpgradeOutcome.Outcome.SUCCEEDED);
		assertThat(this.launcher.generations).containsExactly(2, 2);
	}

	@Test
	void whenTheNewGenerationAnswersTooManyRequestsWithA5xxThenItIsRolledBack() throws Exception {
		claim("http", 7);
		Upgrader upgrader = servingUpgrader(new Probation.Rules(LONG, 0.05, 20));
		FakeChild child = FakeChild.ready(2001L);
		this.launcher.then(child);
		Future<UpgradeOutcome> upgrade = this.executor.submit(upgrader::upgrade);
		await().atMost(AWAIT).until(() -> child.watcher() != null);
		child.watcher().requests(10, 9);
		child.watcher().requests(40, 3);
		UpgradeOutcome outcome = upgrade.get(LONG.toMillis(), TimeUnit.MILLISECONDS);
		assertThat(outcome.outcome()).isEqualTo(UpgradeOutcome.Outcome.ROLLED_BACK);
		assertThat(outcome.reason()).isEqualTo("the new generation (pid 2001) answered 3 of 40 requests with a 5xx "
				+ "(7.5%, above zerodowntime.rollback.max-error-ratio=0.05)");
	}

	@Test
	void whenTheRolledBackGenerationDoesNotExitInTimeThenItIsStopped() throws Exception {
		claim("http", 7);
		Upgrader upgrader = servingUpgrader(new Probation.Rules(LONG, null, 0));
		upgrader.predecessorAllowance(Duration.ZERO.minus(PredecessorDeadline.MARGIN).plusMillis(100));
		FakeChild child = FakeChild.ready(2001L);
		this.launcher.then(child);
		Future<UpgradeOutcome> upgrade = this.executor.submit(upgrader::upgrade);
		await().atMost(AWAIT).until(() -> child.watcher() != null);
		child.watcher().notReady("health group 'readiness' is DOWN");
		assertThat(upgrade.get(LONG.toMillis(), TimeUnit.MILLISECONDS).outcome())
			.isEqualTo(UpgradeOutcome.Outcome.ROLLED_BACK);
		await().atMost(AWAIT).until(() -> child.stops.get() == 1);
	}

	@Test
	void whenThisGenerationIsStoppedDuringTheProbationThenTheNewOneKeepsTheTrafficAtOnce() throws Exception {
		claim("http", 7);
		Upgrader upgrader = servingUpgrader(new Probation.Rules(LONG, null, 0));
		FakeChild child = FakeChild.ready(2001L);
		this.launcher.then(child);
		Future<UpgradeOutcome> upgrade = this.executor.submit(upgrader::upgrade);
		await().atMost(AWAIT).until(() -> child.told.contains("PROBATION until"));
		assertThat(upgrader.stop()).as("the upgrade thread drains and exits").isFalse();
		UpgradeOutcome outcome = upgrade.get(AWAIT.toMillis(), TimeUnit.MILLISECONDS);
		assertThat(outcome.outcome()).isEqualTo(UpgradeOutcome.Outcome.SUCCEEDED);
		assertThat(child.told).containsExactly("PROBATION until", "CONFIRMED");
		assertThat(child.stops.get()).isZero();
		assertThat(upgrader.state()).isEqualTo(UpgradeState.DRAINING);
	}

	@Test
	void whenSomethingFailsDuringTheProbationThenThisGenerationTakesTheTrafficBackRatherThanStaySuspended() {
		ListenerHandle http = claim("http", 7);
		Upgrader upgrader = servingUpgrader(new Probation.Rules(LONG, null, 0));
		FakeChild child = FakeChild.ready(2001L);
		child.probationFailure = new IllegalStateException("handshake broken");
		this.launcher.then(child);
		UpgradeOutcome outcome = upgrader.upgrade();
		assertThat(outcome.outcome()).isEqualTo(UpgradeOutcome.Outcome.ROLLED_BACK);
		assertThat(outcome.reason()).isEqualTo("unexpected error during the probation of the new generation: "
				+ "java.lang.IllegalStateException: handshake broken");
		assertThat(http.suspended()).isFalse();
		assertThat(this.listeners.isAccepting()).isTrue();
		assertThat(upgrader.state()).isEqualTo(UpgradeState.SERVING);
	}

	@Test
	void whenProbationIsOffThenTheNewGenerationIsToldSoAndThisOneDrainsAtOnce() {
		ListenerHandle http = claim("http", 7);
		Upgrader upgrader = servingUpgrader(Probation.Rules.OFF);
		FakeChild child = FakeChild.ready(2001L);
		this.launcher.then(child);
		UpgradeOutcome outcome = upgrader.upgrade();
		assertThat(outcome.outcome()).isEqualTo(UpgradeOutcome.Outcome.SUCCEEDED);
		assertThat(child.told).containsExactly("PROBATION none");
		assertThat(http.suspended()).isFalse();
		assertThat(this.sockets.copies).isEmpty();
		assertThat(upgrader.state()).isEqualTo(UpgradeState.DRAINING);
	}

	@Test
	void aListenerWhoseDescriptorIsUnknownIsNotSuspended() throws Exception {
		ListenerHandle unknown = claim("admin", -1);
		Upgrader upgrader = servingUpgrader(new Probation.Rules(LONG, null, 0));
		FakeChild child = FakeChild.ready(2001L);
		this.launcher.then(child);
		Future<UpgradeOutcome> upgrade = this.executor.submit(upgrader::upgrade);
		await().atMost(AWAIT).until(() -> child.watcher() != null);
		assertThat(unknown.suspended()).isFalse();
		assertThat(unknown.channel().isOpen()).isTrue();
		child.exitNow();
		assertThat(upgrade.get(LONG.toMillis(), TimeUnit.MILLISECONDS).outcome())
			.isEqualTo(UpgradeOutcome.Outcome.ROLLED_BACK);
		assertThat(unknown.channel().isOpen()).isTrue();
	}

	private ListenerHandle claim(String name, int fd) {
		this.sockets.nextFd = fd;
		try {
			return (ListenerHandle) this.listeners.claim(new ListenerRequest(name, InetAddress.getLoopbackAddress(), 0),
					100, (socket) -> {
					});
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private static FakeDrainTarget attach(ListenerHandle listener) {
		FakeDrainTarget target = new FakeDrainTarget(0, 0, 0);
		listener.attach(target);
		return target;
	}

	private Upgrader servingUpgrader(Probation.Rules rules) {
		Upgrader upgrader = upgrader(rules);
		upgrader.ready();
		return upgrader;
	}

	private Upgrader upgrader(Probation.Rules rules) {
		Generation first = new Generation(1, 1001L, null, Instant.now(), Instant.now());
		Upgrader upgrader = new Upgrader(first, this.launcher, this.listeners, null, LONG);
		upgrader.probation(rules);
		upgrader.addListener(this.events);
		return upgrader;
	}

	/**
	 * Real JDK channels, never bound: enough to see which one is open and which one
	 * accepts.
	 */
	static final class ChannelSockets implements ListenerSockets {

		final List<ServerSocketChannel> opened = Collections.synchronizedList(new ArrayList<>());

		final List<Adopted> copies = Collections.synchronizedList(new ArrayList<>());

		volatile int nextFd;

		@Override
		public Adopted adopt(InheritedFd fd) {
			throw new AssertionError("nothing is inherited");
		}

		@Override
		public Adopted bind(InetSocketAddress address, int backlog, SocketConfigurer configurer) throws IOException {
			return new Adopted(open(), address, this.nextFd);
		}

		@Override
		public Adopted duplicate(Adopted original) throws IOException {
			Adopted copy = new Adopted(open(), original.localAddress(), original.fd() + 100);
			this.copies.add(copy);
			return copy;
		}

		@Override
		public void close(int fd) {
		}

		private ServerSocketChannel open() throws IOException {
			ServerSocketChannel channel = ServerSocketChannel.open();
			this.opened.add(channel);
			return channel;
		}

		void closeAll() throws IOException {
			for (ServerSocketChannel channel : this.opened) {
				channel.close();
			}
		}

	}

	/** Records each upgrade step, the rollback included. */
	static final class Events implements UpgradeListener {

		final List<String> log = Collections.synchronizedList(new ArrayList<>());

		@Override
		public void upgradeStarted(int generation) {
			this.log.add("started " + generation);
		}

		@Override
		public void upgradeSucceeded(UpgradeOutcome outcome) {
			this.log.add("succeeded " + outcome.generation() + " pid " + outcome.childPid());
		}

		@Override
		public void upgradeFailed(UpgradeOutcome outcome) {
			this.log.add("failed " + outcome.generation() + ": " + outcome.reason());
		}

		@Override
		public void upgradeRolledBack(UpgradeOutcome outcome) {
			this.log
				.add("rolled back " + outcome.generation() + " pid " + outcome.childPid() + ": " + outcome.reason());
		}

	}

}
