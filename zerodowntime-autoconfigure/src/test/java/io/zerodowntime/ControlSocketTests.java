package io.zerodowntime;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Tests for {@link ControlSocket}, with a handler that answers which generation it is.
 */
class ControlSocketTests {

	@TempDir
	Path temp;

	private final List<ControlSocket> sockets = new CopyOnWriteArrayList<>();

	private final List<ControlSocket.Peer> peers = new CopyOnWriteArrayList<>();

	@AfterEach
	void closeSockets() {
		this.sockets.forEach(ControlSocket::close);
	}

	@Test
	void whenPublishedThenALineCommandIsAnsweredWithOneLineOfJsonAndThePeerIsKnown() throws IOException {
		Path path = this.temp.resolve("control.sock");
		open(path, "one", true).publish();
		assertThat(send(path, "status\n")).isEqualTo("{\"generation\":\"one\",\"command\":\"status\"}\n");
		assertThat(send(path, "UPGRADE\r\n")).isEqualTo("{\"generation\":\"one\",\"command\":\"upgrade\"}\n");
		assertThat(this.peers).extracting(ControlSocket.Peer::pid).containsOnly((int) ProcessHandle.current().pid());
	}

	@Test
	void whenAskedOverHttpThenTheAnswerIsAnHttpResponseWithTheHandlersStatus() throws IOException {
		Path path = this.temp.resolve("control.sock");
		open(path, "one", true).publish();
		String upgrade = send(path, "POST /upgrade HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\n{}");
		assertThat(upgrade).startsWith("HTTP/1.1 409 Conflict\r\n")
			.contains("Content-Type: application/json\r\n")
			.endsWith("\r\n\r\n{\"generation\":\"one\",\"command\":\"upgrade\"}");
		assertThat(send(path, "GET /status HTTP/1.1\r\nHost: localhost\r\n\r\n")).startsWith("HTTP/1.1 409 ")
			.contains("\"command\":\"status\"");
		assertThat(send(path, "GET /other HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 404 ")
			.contains("use POST /upgrade or GET /status");
		assertThat(send(path, "DELETE /upgrade HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 405 ");
	}

	@Test
	void whenNoGroupIsNamedThenOnlyTheOwnerMayConnectAndWithAGroupItsMembersToo() throws IOException {
		Path path = this.temp.resolve("control.sock");
		open(path, "one", true).publish();
		assertThat(Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS))
			.isEqualTo(PosixFilePermissions.fromString("rw-------"));
		Path grouped = this.temp.resolve("grouped.sock");
		String ownGroup = Files.readAttributes(this.temp, java.nio.file.attribute.PosixFileAttributes.class)
			.group()
			.getName();
		track(ControlSocket.open(grouped, ownGroup, true, handler("one"))).publish();
		assertThat(Files.getPosixFilePermissions(grouped, LinkOption.NOFOLLOW_LINKS))
			.isEqualTo(PosixFilePermissions.fromString("rw-rw----"));
		assertThat(send(grouped, "status\n")).contains("\"status\"");
	}

	@Test
	void whenTheGroupDoesNotExistThenOpeningFailsNamingIt() throws IOException {
		assertThatExceptionOfType(ControlSocketException.class)
			.isThrownBy(
					() -> ControlSocket.open(this.temp.resolve("c.sock"), "no-such-group-zdt", true, handler("one")))
			.withMessageContaining("no-such-group-zdt")
			.satisfies((ex) -> assertThat(ex.getAction()).contains("zerodowntime.control-socket-group"));
		assertThat(list()).isEmpty();
	}

	@Test
	void whenThePathIsARegularFileThenItIsLeftAloneAndOpeningFailsSayingWhat() throws IOException {
		Path path = Files.writeString(this.temp.resolve("control.sock"), "precious");
		assertThatExceptionOfType(ControlSocketException.class).isThrownBy(() -> open(path, "one", true))
			.withMessageContaining("is a regular file, not a socket")
			.satisfies((ex) -> assertThat(ex.getAction()).contains("choose another path"));
		assertThat(Files.readString(path)).isEqualTo("precious");
		assertThat(list()).containsExactly("control.sock");
	}

	@Test
	void whenThePathIsASymbolicLinkThenItIsRefused() throws IOException {
		Path path = Files.createSymbolicLink(this.temp.resolve("control.sock"), this.temp.resolve("elsewhere"));
		assertThatExceptionOfType(ControlSocketException.class).isThrownBy(() -> open(path, "one", true))
			.withMessageContaining("is a symbolic link");
	}

	@Test
	void whenAnotherProcessAnswersOnThePathThenTheFirstGenerationRefusesToStartNamingItsPid() throws IOException {
		Path path = this.temp.resolve("control.sock");
		open(path, "running", true).publish();
		assertThatExceptionOfType(ControlSocketException.class).isThrownBy(() -> open(path, "second", true))
			.withMessageContaining("is in use: another process (pid " + ProcessHandle.current().pid() + ")")
			.satisfies((ex) -> assertThat(ex.getAction()).contains("another instance"));
		assertThat(send(path, "status\n")).contains("running");
	}

	@Test
	void whenTheSocketIsALeftoverNobodyAnswersOnThenItIsReplaced() throws IOException {
		Path path = this.temp.resolve("control.sock");
		try (java.nio.channels.ServerSocketChannel leftover = java.nio.channels.ServerSocketChannel
			.open(java.net.StandardProtocolFamily.UNIX)) {
			leftover.bind(UnixDomainSocketAddress.of(path));
		}
		assertThat(path).exists();
		open(path, "one", true).publish();
		assertThat(send(path, "status\n")).contains("\"one\"");
	}

	@Test
	void whenADirectoryIsMissingThenItIsCreated() throws IOException {
		Path path = this.temp.resolve("run/app/control.sock");
		open(path, "one", true).publish();
		assertThat(send(path, "status\n")).contains("\"one\"");
	}

	@Test
	void whenThePathIsTooLongThenOpeningFailsSayingSo() {
		Path path = this.temp.resolve("x".repeat(100) + ".sock");
		assertThatExceptionOfType(ControlSocketException.class).isThrownBy(() -> open(path, "one", true))
			.withMessageContaining("is too long");
	}

	@Test
	void untilPublishedTheNextGenerationLeavesThePathToThePreviousOneAndClosingItRemovesOnlyItsOwnName()
			throws IOException {
		Path path = this.temp.resolve("control.sock");
		ControlSocket first = open(path, "one", true);
		first.publish();
		ControlSocket failed = open(path, "two", false);
		assertThat(send(path, "status\n")).contains("\"one\"");
		failed.close();
		assertThat(send(path, "status\n")).contains("\"one\"");
		assertThat(list()).containsExactly("control.sock");
		ControlSocket next = open(path, "three", false);
		next.publish();
		assertThat(send(path, "status\n")).contains("\"three\"");
		first.close();
		assertThat(send(path, "status\n")).contains("\"three\"");
		next.close();
		assertThat(list()).isEmpty();
	}

	@Test
	void whenANewGenerationPublishedAndThenDidNotTakeOverThePreviousOneBindsThePathAgain() throws IOException {
		Path path = this.temp.resolve("control.sock");
		ControlSocket first = open(path, "one", true);
		first.publish();
		first.republishIfReplaced();
		assertThat(send(path, "status\n")).contains("\"one\"");
		ControlSocket dead = open(path, "two", false);
		dead.publish();
		dead.close();
		first.republishIfReplaced();
		assertThat(send(path, "status\n")).contains("\"one\"");
		assertThat(list()).containsExactly("control.sock");
	}

	@Test
	void connectingWhileGenerationsPublishInTurnNeverFails() throws Exception {
		Path path = this.temp.resolve("control.sock");
		ControlSocket previous = open(path, "g0", true);
		previous.publish();
		AtomicBoolean running = new AtomicBoolean(true);
		AtomicInteger answered = new AtomicInteger();
		List<String> failures = new CopyOnWriteArrayList<>();
		Thread client = new Thread(() -> {
			while (running.get()) {
				try {
					if (send(path, "status\n").contains("\"status\"")) {
						answered.incrementAndGet();
					}
					else {
						failures.add("unexpected answer");
					}
				}
				catch (IOException ex) {
					failures.add(ex.toString());
				}
			}
		});
		client.start();
		for (int i = 1; i <= 20; i++) {
			ControlSocket next = open(path, "g" + i, false);
			next.publish();
			previous.close();
			previous = next;
		}
		running.set(false);
		client.join();
		assertThat(failures).isEmpty();
		assertThat(answered.get()).isPositive();
		assertThat(send(path, "status\n")).contains("\"g20\"");
	}

	private ControlSocket open(Path path, String generation, boolean first) {
		return track(ControlSocket.open(path, null, first, handler(generation)));
	}

	private ControlSocket track(ControlSocket socket) {
		this.sockets.add(socket);
		return socket;
	}

	private ControlSocket.Handler handler(String generation) {
		return (command, peer) -> {
			this.peers.add(peer);
			return new ControlSocket.Reply(409,
					"{\"generation\":\"" + generation + "\",\"command\":\"" + command + "\"}");
		};
	}

	private List<String> list() throws IOException {
		try (Stream<Path> files = Files.list(this.temp)) {
			return files.map((p) -> p.getFileName().toString()).toList();
		}
	}

	static String send(Path path, String request) throws IOException {
		try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
			ByteBuffer out = ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8));
			while (out.hasRemaining()) {
				channel.write(out);
			}
			java.io.ByteArrayOutputStream answer = new java.io.ByteArrayOutputStream();
			ByteBuffer in = ByteBuffer.allocate(4096);
			while (channel.read(in) != -1) {
				answer.write(in.array(), 0, in.position());
				in.clear();
			}
			return answer.toString(StandardCharsets.UTF_8);
		}
	}

}
