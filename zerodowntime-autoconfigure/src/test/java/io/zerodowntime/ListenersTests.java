package io.zerodowntime;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link Listeners}, with fake descriptors.
 */
class ListenersTests {

	private static final long PID = 4242;

	@Test
	void closeUnclaimedClosesUnclaimedListenersButNeverAnFdThatIsNotOne() {
		// LISTEN_FDS=3 where only fd 3 was passed: fds 4 and 5 are this JVM's own files
		ListenFds fds = ListenFds.parse(Map.of("LISTEN_FDS", "3", "LISTEN_PID", Long.toString(PID)), PID, (fd) -> {
			if (fd == 3) {
				return new SocketInfo(3, false, new InetSocketAddress("127.0.0.1", 8080));
			}
			throw new NotAListenerException(fd, "fd " + fd + " is a regular file, not a socket");
		});
		RecordingSockets sockets = new RecordingSockets();
		Listeners listeners = new Listeners(fds, sockets, true);
		listeners.closeUnclaimed();
		assertThat(sockets.closed).containsExactly(3);
		listeners.closeUnclaimed();
		assertThat(sockets.closed).as("idempotent").containsExactly(3);
	}

	@Test
	void theFdStoresCopyOfASocketUnitsListenerIsClosedAsUnclaimedOnceTheFirstIsAdopted() throws Exception {
		// after a crash: LISTEN_FDS=2, the socket unit's http then the fd store's http
		ListenFds fds = ListenFds.parse(
				Map.of("LISTEN_FDS", "2", "LISTEN_PID", Long.toString(PID), "LISTEN_FDNAMES", "http:http"), PID,
				(fd) -> new SocketInfo(fd, false, new InetSocketAddress("127.0.0.1", 8080)));
		RecordingSockets sockets = new RecordingSockets() {

			@Override
			public Adopted adopt(InheritedFd fd) throws IOException {
				this.adopted.add(fd.fd());
				return new Adopted(java.nio.channels.ServerSocketChannel.open(), fd.localAddress(), fd.fd());
			}

		};
		Listeners listeners = new Listeners(fds, sockets, true);
		listeners.plan(List.of(new io.zerodowntime.server.ListenerRequest("http", null, 8080)));
		ListenerHandle http = listeners.claim(new io.zerodowntime.server.ListenerRequest("http", null, 8080), 50,
				(socket) -> {
				});
		try {
			assertThat(http.fd()).isEqualTo(3);
			assertThat(sockets.adopted).containsExactly(3);
			listeners.closeUnclaimed();
			assertThat(sockets.closed).containsExactly(4);
		}
		finally {
			http.channel().close();
		}
	}

	@Test
	void aDrainWhoseConnectionsCloseInTimeClosesNothingItself() throws Exception {
		FakeDrainTarget target = new FakeDrainTarget(3, 2, 0);
		Listeners listeners = target.attachedToOneListener();
		assertThat(listeners.drain(Duration.ofSeconds(30))).isEqualTo(new Listeners.Drained(0, 0));
		assertThat(target.calls).containsExactly("stopAccepting");
	}

	@Test
	void atTheDeadlineTheConnectionsLeftAreClosedAndTheRequestsCutAreCounted() throws Exception {
		FakeDrainTarget target = new FakeDrainTarget(3, -1, 2);
		Listeners listeners = target.attachedToOneListener();
		assertThat(listeners.drain(Duration.ofMillis(100))).isEqualTo(new Listeners.Drained(3, 2));
		assertThat(target.calls).containsExactly("stopAccepting", "closeConnections");
	}

	@Test
	void anInterruptedDrainClosesWhatIsLeftAndKeepsTheInterrupt() throws Exception {
		FakeDrainTarget target = new FakeDrainTarget(1, -1, 1);
		Listeners listeners = target.attachedToOneListener();
		Thread.currentThread().interrupt();
		try {
			assertThat(listeners.drain(Duration.ofSeconds(30))).isEqualTo(new Listeners.Drained(1, 1));
			assertThat(Thread.currentThread().isInterrupted()).isTrue();
		}
		finally {
			Thread.interrupted();
		}
		assertThat(target.calls).containsExactly("stopAccepting", "closeConnections");
	}

	/** Records which descriptors it was asked to close. */
	static class RecordingSockets implements ListenerSockets {

		final List<Integer> closed = new ArrayList<>();

		final List<Integer> adopted = new ArrayList<>();

		@Override
		public Adopted adopt(InheritedFd fd) throws IOException {
			throw new AssertionError("not adopting in this test");
		}

		@Override
		public Adopted bind(InetSocketAddress address, int backlog, SocketConfigurer configurer) {
			throw new AssertionError("not binding in this test");
		}

		@Override
		public Adopted duplicate(Adopted original) {
			throw new AssertionError("not duplicating in this test");
		}

		@Override
		public void close(int fd) {
			this.closed.add(fd);
		}

	}

}
