package io.zerodowntime;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import io.zerodowntime.server.ListenerRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A listener suspended for a probation, on real sockets of the kernel: an acceptor
 * blocked on it wakes and waits at the gate, connections queue in the backlog meanwhile
 * (the socket stays open through the standby copy), and a resume accepts them at once
 * from the copy.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ListenerSuspendTests {

	private static final Duration AWAIT = Duration.ofSeconds(10);

	private final Listeners listeners = new Listeners(ListenFds.none(), new NativeListenerSockets(Os.posix()), true);

	private final List<SocketChannel> accepted = new CopyOnWriteArrayList<>();

	private final List<Socket> clients = new CopyOnWriteArrayList<>();

	private final List<String> wakeUps = new CopyOnWriteArrayList<>();

	private volatile boolean stopped;

	@AfterEach
	void close() throws IOException {
		this.stopped = true;
		for (ListenerHandle listener : this.listeners.open()) {
			listener.close();
		}
		for (SocketChannel channel : this.accepted) {
			channel.close();
		}
		for (Socket client : this.clients) {
			client.close();
		}
	}

	@Test
	void aSuspendedListenerKeepsItsSocketAndAResumeAcceptsWhatQueuedMeanwhile() throws Exception {
		ListenerHandle http = (ListenerHandle) this.listeners
			.claim(new ListenerRequest("http", InetAddress.getLoopbackAddress(), 0), 50, (socket) -> {
			});
		assertThat(http.fd()).as("the descriptor of the bound socket").isGreaterThanOrEqualTo(0);
		int port = http.localAddress().getPort();
		ServerSocketChannel before = http.channel();
		int fdBefore = http.fd();
		Thread acceptor = new Thread(() -> accept(http), "test-acceptor");
		acceptor.setDaemon(true);
		acceptor.start();
		connect(port);
		await().atMost(AWAIT).until(() -> this.accepted.size() == 1);

		assertThat(this.listeners.suspend()).isEqualTo(1);
		await().atMost(AWAIT).until(() -> this.wakeUps.size() == 1);
		assertThat(this.wakeUps).as("the blocked accept wakes, a ClosedChannelException")
			.containsExactly("AsynchronousCloseException (suspended)");
		assertThat(before.isOpen()).isFalse();
		assertThat(http.suspended()).isTrue();
		assertThat(http.isClosed()).isFalse();
		connect(port);
		connect(port);
		Thread.sleep(300);
		assertThat(this.accepted).as("nothing is accepted while suspended").hasSize(1);

		this.listeners.resume();
		await().atMost(AWAIT).until(() -> this.accepted.size() == 3);
		assertThat(http.suspended()).isFalse();
		assertThat(http.channel()).isNotSameAs(before);
		assertThat(http.fd()).as("the copy's descriptor is passed at the next upgrade").isNotEqualTo(fdBefore);
		assertThat(Os.posix().sockets().findListeningSocketFd(http.localAddress())).isGreaterThanOrEqualTo(0);

		this.listeners.suspend();
		http.close();
		// the JDK may finish closing a channel an acceptor was blocked on a moment later
		await("closing a suspended listener closes its copy too: nobody listens any more").atMost(AWAIT)
			.until(() -> refused(port));
	}

	private boolean refused(int port) throws IOException {
		try {
			connect(port);
			return false;
		}
		catch (ConnectException ex) {
			return true;
		}
	}

	private void connect(int port) throws IOException {
		Socket client = new Socket();
		this.clients.add(client);
		client.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
	}

	/**
	 * What a server adapter does: wait at the gate, accept from channel() anew after a
	 * suspension.
	 */
	private void accept(ListenerHandle listener) {
		try {
			while (!this.stopped) {
				this.listeners.awaitAcceptGate(listener);
				if (listener.isClosed()) {
					return;
				}
				try {
					this.accepted.add(listener.channel().accept());
				}
				catch (ClosedChannelException ex) {
					if (listener.isClosed()) {
						return;
					}
					this.wakeUps.add(ex.getClass().getSimpleName() + " (suspended)");
				}
			}
		}
		catch (IOException | InterruptedException ex) {
			this.wakeUps.add("failed: " + ex);
		}
	}

}
