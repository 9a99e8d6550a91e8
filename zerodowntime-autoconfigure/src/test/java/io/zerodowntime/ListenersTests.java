package io.zerodowntime;

import java.io.IOException;
import java.net.InetSocketAddress;
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

	/** Records which descriptors it was asked to close. */
	static final class RecordingSockets implements ListenerSockets {

		final List<Integer> closed = new ArrayList<>();

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
