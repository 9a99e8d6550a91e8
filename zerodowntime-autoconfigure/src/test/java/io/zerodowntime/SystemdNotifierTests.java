package io.zerodowntime;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.zerodowntime.server.ListenerRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for the fd store side of {@link SystemdNotifier}: real listeners, real
 * notifications to a datagram socket bound by the test, standing in for systemd, which
 * receives the stored descriptors.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SystemdNotifierTests {

	private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

	@TempDir
	Path temp;

	@Test
	void generationOneStoresEachListenerItBoundWhenReadyOneMessageEach() throws Exception {
		Path path = this.temp.resolve("notify");
		Generation first = new Generation(1, 4242, null, Instant.now(), Instant.now());
		Listeners listeners = new Listeners(ListenFds.none(), new NativeListenerSockets(Os.posix()), true);
		try (PosixDatagramReceiver systemd = PosixDatagramReceiver.bind(path.toString())) {
			ListenerHandle http = listeners.claim(new ListenerRequest("http", LOOPBACK, 0), 50, (socket) -> {
			});
			ListenerHandle management = listeners.claim(new ListenerRequest("management", LOOPBACK, 0), 50,
					(socket) -> {
					});
			SystemdNotifier notifier = new SystemdNotifier(new SdNotify(path.toString()), first, listeners);
			notifier.generationReady(first);
			assertThat(systemd.receive()).startsWith("READY=1\nSTATUS=");
			assertStored(systemd.receiveWithFds(), "http", http);
			assertStored(systemd.receiveWithFds(), "management", management);
			// a connector stopped for good while serving: its entry goes
			management.close();
			assertThat(systemd.receive()).isEqualTo("FDSTOREREMOVE=1\nFDNAME=management");
			// stopping: the service goes, and its store with it (or it is preserved)
			notifier.generationStopping(first);
			systemd.receive();
			http.close();
			new SdNotify(path.toString()).send("MARK=1");
			assertThat(systemd.receive()).isEqualTo("MARK=1");
		}
		finally {
			listeners.open().forEach(SystemdNotifierTests::closeQuietly);
		}
	}

	@Test
	void aLaterGenerationStoresOnlyOnceItIsTheMainProcessAndNoLongerAfterHandingOver() throws Exception {
		Path path = this.temp.resolve("notify");
		Generation second = new Generation(2, 4343, 4242L, Instant.now(), Instant.now());
		Listeners listeners = new Listeners(ListenFds.none(), new NativeListenerSockets(Os.posix()), false);
		try (PosixDatagramReceiver systemd = PosixDatagramReceiver.bind(path.toString())) {
			ListenerHandle http = listeners.claim(new ListenerRequest("http", LOOPBACK, 0), 50, (socket) -> {
			});
			SdNotify sdNotify = new SdNotify(path.toString());
			SystemdNotifier notifier = new SystemdNotifier(sdNotify, second, listeners);
			notifier.generationReady(second);
			// not the main process yet: systemd would reject anything from it
			http.close();
			sdNotify.send("MARK=1");
			assertThat(systemd.receive()).isEqualTo("MARK=1");
			ListenerHandle again = listeners.claim(new ListenerRequest("http", LOOPBACK, 0), 50, (socket) -> {
			});
			notifier.becameMainProcess();
			assertStored(systemd.receiveWithFds(), "http", again);
			notifier.upgradeSucceeded(
					new UpgradeOutcome(UpgradeOutcome.Outcome.SUCCEEDED, null, 3, 4444L, Instant.now(), 100));
			assertThat(systemd.receive()).startsWith("MAINPID=4444\nREADY=1");
			// handed over: the next generation holds the socket, its store entry stays
			again.close();
			notifier.storeListeners();
			sdNotify.send("MARK=2");
			assertThat(systemd.receive()).isEqualTo("MARK=2");
		}
		finally {
			listeners.open().forEach(SystemdNotifierTests::closeQuietly);
		}
	}

	@Test
	void aListenerPassedInIsNotStoredSinceASocketUnitOrTheStoreKeepsItAlready() throws Exception {
		Path path = this.temp.resolve("notify");
		Generation first = new Generation(1, 4242, null, Instant.now(), Instant.now());
		try (ServerSocketChannel passed = ServerSocketChannel.open();
				PosixDatagramReceiver systemd = PosixDatagramReceiver.bind(path.toString())) {
			passed.bind(new InetSocketAddress(LOOPBACK, 0));
			InetSocketAddress address = (InetSocketAddress) passed.getLocalAddress();
			int fd = Os.posix().sockets().findListeningSocketFd(address);
			ListenerSockets real = new NativeListenerSockets(Os.posix());
			ListenerSockets sockets = new ListenerSockets() {

				@Override
				public Adopted adopt(InheritedFd inherited) {
					return new Adopted(passed, address, fd);
				}

				@Override
				public Adopted bind(InetSocketAddress local, int backlog, SocketConfigurer configurer)
						throws IOException {
					return real.bind(local, backlog, configurer);
				}

				@Override
				public Adopted duplicate(Adopted original) throws IOException {
					return real.duplicate(original);
				}

				@Override
				public void close(int unclaimed) {
				}

			};
			ListenFds fds = ListenFds.parse(Map.of("LISTEN_FDS", "1", "LISTEN_PID", "4242", "LISTEN_FDNAMES", "http"),
					4242, (number) -> new SocketInfo(number, false, address));
			Listeners listeners = new Listeners(fds, sockets, true);
			ListenerHandle http = listeners.claim(new ListenerRequest("http", LOOPBACK, address.getPort()), 50,
					(socket) -> {
					});
			ListenerHandle management = listeners.claim(new ListenerRequest("management", LOOPBACK, 0), 50,
					(socket) -> {
					});
			try {
				assertThat(http.inherited()).isTrue();
				new SystemdNotifier(new SdNotify(path.toString()), first, listeners).generationReady(first);
				assertThat(systemd.receive()).startsWith("READY=1");
				assertStored(systemd.receiveWithFds(), "management", management);
				new SdNotify(path.toString()).send("MARK=1");
				assertThat(systemd.receive()).isEqualTo("MARK=1");
			}
			finally {
				management.close();
			}
		}
	}

	@Test
	void withoutNotifySocketNothingIsStoredAndNothingFails() throws Exception {
		Generation first = new Generation(1, 4242, null, Instant.now(), Instant.now());
		Listeners listeners = new Listeners(ListenFds.none(), new NativeListenerSockets(Os.posix()), true);
		ListenerHandle http = listeners.claim(new ListenerRequest("http", LOOPBACK, 0), 50, (socket) -> {
		});
		try {
			SystemdNotifier notifier = new SystemdNotifier(new SdNotify(null), first, listeners);
			notifier.generationReady(first);
			notifier.storeListeners();
		}
		finally {
			http.close();
		}
	}

	@Test
	void fdNamesSystemdRefusesAreNamed() {
		assertThat(SystemdNotifier.fdNameProblem("http")).isNull();
		assertThat(SystemdNotifier.fdNameProblem("management-8081")).isNull();
		assertThat(SystemdNotifier.fdNameProblem("a:b")).contains("':'");
		assertThat(SystemdNotifier.fdNameProblem("a b")).contains("without spaces");
		assertThat(SystemdNotifier.fdNameProblem("")).isEqualTo("is empty");
		assertThat(SystemdNotifier.fdNameProblem("x".repeat(256))).contains("longer than 255");
	}

	private static void assertStored(PosixDatagramReceiver.Received received, String name, ListenerHandle listener)
			throws IOException {
		try {
			assertThat(received.text()).isEqualTo("FDSTORE=1\nFDNAME=" + name);
			assertThat(received.fds()).hasSize(1);
			assertThat(received.flags() & 8).as("MSG_CTRUNC").isZero();
			int copy = received.fds().get(0);
			assertThat(copy).isNotEqualTo(listener.fd());
			assertThat(Os.posix().sockets().inspectListener(copy).localAddress()).isEqualTo(listener.localAddress());
		}
		finally {
			received.closeFds();
		}
	}

	private static void closeQuietly(ListenerHandle listener) {
		try {
			listener.close();
		}
		catch (IOException ex) {
			// best effort in cleanup
		}
	}

}
