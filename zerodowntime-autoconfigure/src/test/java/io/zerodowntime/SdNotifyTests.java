package io.zerodowntime;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Sends real notifications to datagram sockets bound by the test, at a path and at an
 * abstract address, and checks that every way of failing is quiet but logged once.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@ExtendWith(OutputCaptureExtension.class)
class SdNotifyTests {

	@TempDir
	Path temp;

	@Test
	void whenNotifySocketIsNotSetThenNothingIsSentAndNothingLogged(CapturedOutput output) {
		SdNotify notify = new SdNotify(null);
		assertThat(notify.isEnabled()).isFalse();
		assertThat(notify.socket()).isNull();
		assertThat(notify.send("READY=1")).isFalse();
		assertThat(new SdNotify("").send("READY=1")).isFalse();
		assertThat(output).doesNotContain("NOTIFY_SOCKET");
	}

	@Test
	void whenNotifySocketIsAPathThenTheDatagramCarriesTheAssignmentsOnePerLine() throws Exception {
		Path path = this.temp.resolve("notify");
		try (PosixDatagramReceiver receiver = PosixDatagramReceiver.bind(path.toString())) {
			SdNotify notify = new SdNotify(path.toString());
			assertThat(notify.isEnabled()).isTrue();
			assertThat(notify.send("READY=1", "STATUS=Generation 1 (pid 42) serving")).isTrue();
			assertThat(notify.send("STOPPING=1")).isTrue();
			assertThat(receiver.receive()).isEqualTo("READY=1\nSTATUS=Generation 1 (pid 42) serving");
			assertThat(receiver.receive()).isEqualTo("STOPPING=1");
		}
	}

	@Test
	void whenNotifySocketIsAnAbstractAddressThenItIsReachedWithoutAFile() throws Exception {
		String name = "zerodowntime-test-" + UUID.randomUUID();
		try (PosixDatagramReceiver receiver = PosixDatagramReceiver.bind("\0" + name)) {
			SdNotify notify = new SdNotify("@" + name);
			assertThat(notify.isEnabled()).isTrue();
			assertThat(notify.send("MAINPID=4242", "READY=1")).isTrue();
			assertThat(receiver.receive()).isEqualTo("MAINPID=4242\nREADY=1");
		}
	}

	@Test
	void whenDescriptorsAreAttachedThenTheReceiverGetsItsOwnCopiesOfThem() throws Exception {
		Path path = this.temp.resolve("notify");
		try (PosixDatagramReceiver receiver = PosixDatagramReceiver.bind(path.toString());
				ServerSocketChannel http = listening();
				ServerSocketChannel management = listening()) {
			SdNotify notify = new SdNotify(path.toString());
			assertThat(notify.send(List.of("FDSTORE=1", "FDNAME=http"), fdOf(http), fdOf(management))).isTrue();
			PosixDatagramReceiver.Received received = receiver.receiveWithFds();
			try {
				assertThat(received.text()).isEqualTo("FDSTORE=1\nFDNAME=http");
				assertThat(received.fds()).hasSize(2).doesNotContain(fdOf(http), fdOf(management));
				assertThat(Os.posix().sockets().inspectListener(received.fds().get(0)).localAddress())
					.isEqualTo(http.getLocalAddress());
				assertThat(Os.posix().sockets().inspectListener(received.fds().get(1)).localAddress())
					.isEqualTo(management.getLocalAddress());
			}
			finally {
				received.closeFds();
			}
		}
	}

	@Test
	void whenDescriptorsAreSentToAnAbstractAddressThenTheyArrive() throws Exception {
		String name = "zerodowntime-test-" + UUID.randomUUID();
		try (PosixDatagramReceiver receiver = PosixDatagramReceiver.bind("\0" + name);
				ServerSocketChannel http = listening()) {
			assertThat(new SdNotify("@" + name).send(List.of("FDSTORE=1", "FDNAME=http"), fdOf(http))).isTrue();
			PosixDatagramReceiver.Received received = receiver.receiveWithFds();
			try {
				assertThat(received.text()).isEqualTo("FDSTORE=1\nFDNAME=http");
				assertThat(received.fds()).hasSize(1);
			}
			finally {
				received.closeFds();
			}
		}
	}

	@Test
	void whenDescriptorsCannotBeSentThenThatIsLoggedOnceAndNothingThrows(CapturedOutput output) throws Exception {
		try (ServerSocketChannel http = listening()) {
			SdNotify notify = new SdNotify(this.temp.resolve("missing").toString());
			assertThat(notify.send(List.of("FDSTORE=1", "FDNAME=http"), fdOf(http))).isFalse();
			assertThat(notify.send(List.of("FDSTORE=1", "FDNAME=http"), fdOf(http))).isFalse();
			assertThat(output).containsOnlyOnce("Unable to notify the service manager")
				.contains("No such file or directory")
				.contains("FDSTORE=1 FDNAME=http");
			// a descriptor that is not open
			assertThat(notify.send(List.of("FDSTORE=1", "FDNAME=http"), 100_000)).isFalse();
		}
	}

	private static ServerSocketChannel listening() throws IOException {
		ServerSocketChannel channel = ServerSocketChannel.open();
		channel.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
		return channel;
	}

	private static int fdOf(ServerSocketChannel channel) throws IOException {
		return Os.posix().sockets().findListeningSocketFd((InetSocketAddress) channel.getLocalAddress());
	}

	@Test
	void whenTheSocketIsMissingThenSendingFailsQuietlyAndIsLoggedOnce(CapturedOutput output) {
		String missing = this.temp.resolve("no-such-socket").toString();
		SdNotify notify = new SdNotify(missing);
		assertThat(notify.isEnabled()).isTrue();
		assertThat(notify.send("READY=1")).isFalse();
		assertThat(notify.send("STOPPING=1")).isFalse();
		assertThat(notify.send("STOPPING=1")).isFalse();
		assertThat(occurrences(output.toString(), "Unable to notify the service manager through " + missing))
			.isEqualTo(1);
		assertThat(output).contains("No such file or directory");
	}

	@Test
	void whenTheReceiverHasGoneThenSendingFailsQuietlyAndIsLoggedOnce(CapturedOutput output) throws Exception {
		Path path = this.temp.resolve("gone");
		SdNotify notify = new SdNotify(path.toString());
		try (PosixDatagramReceiver receiver = PosixDatagramReceiver.bind(path.toString())) {
			assertThat(notify.send("READY=1")).isTrue();
			assertThat(receiver.receive()).isEqualTo("READY=1");
		}
		assertThat(notify.send("RELOADING=1")).isFalse();
		assertThat(notify.send("READY=1")).isFalse();
		assertThat(occurrences(output.toString(), "Unable to notify the service manager through " + path)).isEqualTo(1);
	}

	@Test
	void whenTheReceiverIsSlowThenSendingWaitsForRoomInItsQueue() throws Exception {
		Path path = this.temp.resolve("slow");
		try (PosixDatagramReceiver receiver = PosixDatagramReceiver.bind(path.toString())) {
			SdNotify notify = new SdNotify(path.toString());
			List<String> received = new CopyOnWriteArrayList<>();
			Thread reader = new Thread(() -> {
				try {
					for (int i = 0; i < 40; i++) {
						Thread.sleep(10);
						received.add(receiver.receive());
					}
				}
				catch (IOException | InterruptedException ex) {
					received.add(ex.toString());
				}
			});
			reader.start();
			for (int i = 0; i < 40; i++) {
				assertThat(notify.send("STATUS=message " + i)).as("send %d", i).isTrue();
			}
			reader.join();
			assertThat(received).hasSize(40).startsWith("STATUS=message 0").endsWith("STATUS=message 39");
		}
	}

	@Test
	void whenTheReceiverDoesNotReadThenSendingWaitsForRoomButNotForever(CapturedOutput output) throws Exception {
		Path path = this.temp.resolve("full");
		try (PosixDatagramReceiver receiver = PosixDatagramReceiver.bind(path.toString())) {
			SdNotify notify = new SdNotify(path.toString());
			int refused = 0;
			for (int i = 0; i < 5000 && refused == 0; i++) {
				if (!notify.send("STATUS=message " + i)) {
					refused++;
				}
			}
			assertThat(refused).as("sends refused once the receiver's queue stayed full").isOne();
			assertThat(receiver.receive()).isEqualTo("STATUS=message 0");
		}
		assertThat(output).contains("Resource temporarily unavailable");
	}

	@Test
	void whenTheSocketIsARegularFileThenSendingFailsQuietly(CapturedOutput output) throws Exception {
		Path file = Files.writeString(this.temp.resolve("file"), "not a socket");
		SdNotify notify = new SdNotify(file.toString());
		assertThat(notify.send("READY=1")).isFalse();
		assertThat(output).contains("Unable to notify the service manager through " + file);
	}

	@Test
	void whenTheAddressCannotBeUsedThenNothingIsSentAndThatIsLoggedOnce(CapturedOutput output) {
		SdNotify vsock = new SdNotify("vsock:2:1234");
		assertThat(vsock.isEnabled()).isFalse();
		assertThat(vsock.send("READY=1")).isFalse();
		assertThat(vsock.send("READY=1")).isFalse();
		assertThat(occurrences(output.toString(), "Unable to use NOTIFY_SOCKET 'vsock:2:1234'")).isEqualTo(1);
		assertThat(new SdNotify("relative/path").isEnabled()).isFalse();
		assertThat(new SdNotify("@").isEnabled()).isFalse();
		assertThat(new SdNotify("/" + "x".repeat(107)).isEnabled()).isFalse();
		assertThat(new SdNotify("/run/n\u00e4tify").isEnabled()).isFalse();
		assertThat(new SdNotify("/" + "x".repeat(106)).isEnabled()).isTrue();
	}

	@Test
	void whenAnAssignmentIsMalformedThenItIsRejectedEvenWithoutASocket() {
		SdNotify notify = new SdNotify(null);
		assertThatIllegalArgumentException().isThrownBy(() -> notify.send("READY"));
		assertThatIllegalArgumentException().isThrownBy(() -> notify.send("=1"));
		assertThatIllegalArgumentException().isThrownBy(() -> notify.send("STATUS=two\nlines"));
		assertThatIllegalArgumentException().isThrownBy(notify::send);
	}

	@Test
	void whenWarmedUpThenNothingIsSent() throws Exception {
		Path path = this.temp.resolve("warm");
		try (PosixDatagramReceiver receiver = PosixDatagramReceiver.bind(path.toString())) {
			SdNotify notify = new SdNotify(path.toString());
			notify.warmUp();
			notify.send("READY=1");
			assertThat(receiver.receive()).isEqualTo("READY=1");
		}
		new SdNotify(null).warmUp();
	}

	@Test
	void monotonicMicrosReadsClockMonotonic() {
		long before = PosixDatagramReceiver.monotonicMicros();
		long micros = SdNotify.monotonicMicros();
		long after = PosixDatagramReceiver.monotonicMicros();
		assertThat(micros).isBetween(before, after);
	}

	private static int occurrences(String text, String part) {
		int count = 0;
		for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
			count++;
		}
		return count;
	}

}
