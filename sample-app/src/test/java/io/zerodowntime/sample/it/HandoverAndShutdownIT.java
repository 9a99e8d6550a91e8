package io.zerodowntime.sample.it;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * What one handover passes on and what a stop waits for, on the packaged sample app: the
 * descriptors a new generation inherits (and the connections it does not), a first
 * generation started with SIGHUP ignored, and SIGTERM with a request or an upload in
 * flight. (Many upgrades in a row under a client loop are {@link SoakIT}'s story.)
 */
class HandoverAndShutdownIT {

	private static final Duration EXIT = Duration.ofSeconds(60);

	private static final long SIGHUP_BIT = 1L << (1 - 1);

	@TempDir
	Path dir;

	private AppUnderTest app;

	@AfterEach
	void stopEveryGeneration() {
		if (this.app == null) {
			return;
		}
		this.app.close();
		await("every process running " + this.app.jar() + " to be gone").atMost(Duration.ofSeconds(20))
			.pollInterval(Duration.ofMillis(100))
			.until(() -> Procfs.all().stream().noneMatch((p) -> !p.zombie() && p.mentions(this.app.jar())));
	}

	/**
	 * The new generation inherits stdio, the listener and the handshake socket, and no
	 * connection the old generation accepted: the only sockets both hold are the
	 * listening ones. The held keep-alive connections stay with the old generation, which
	 * answers their next request with {@code Connection: close}.
	 */
	@Test
	void theNewGenerationInheritsNoConnectionOfTheOldOne() {
		long gen1 = startGeneration1();
		List<Http.Connection> held = new ArrayList<>();
		try {
			for (int i = 0; i < 3; i++) {
				Http.Connection connection = new Http.Connection(this.app.port(), Duration.ofSeconds(20));
				held.add(connection);
				Http.Response response = connection.get("/");
				assertThat(response.status()).isEqualTo(200);
				assertThat(response.header("X-Pid")).isEqualTo(Long.toString(gen1));
				assertThat(response.header("Connection")).isNotEqualToIgnoringCase("close");
			}
			Set<Long> gen1SocketsBefore = Procfs.socketInodes(gen1);
			Map<Integer, String> gen1Fds = Procfs.fds(gen1);
			Map<Integer, Long> serverSide = Procfs.serverSideInodes(this.app.port());
			Set<Long> accepted = new LinkedHashSet<>();
			for (Http.Connection connection : held) {
				Long inode = serverSide.get(connection.localPort());
				assertThat(inode)
					.as("server side of the connection from port " + connection.localPort() + " in " + serverSide)
					.isNotNull()
					.isNotZero();
				accepted.add(inode);
			}
			assertThat(gen1SocketsBefore).as("gen 1 sockets").containsAll(accepted);
			Set<Long> listening = listeningInodes();
			assertThat(listening).isNotEmpty();
			assertThat(gen1SocketsBefore).as("gen 1 sockets").containsAll(listening);

			Procfs.signal(gen1, "HUP");
			long gen2 = this.app.awaitGeneration(2);
			// gen 1 drains: it waits for the connections it still holds
			assertThat(Procfs.running(gen1)).as("gen 1 running while it holds connections").isTrue();
			Set<Long> gen1SocketsAfter = Procfs.socketInodes(gen1);
			Map<Integer, String> gen2Fds = Procfs.fds(gen2);
			Set<Long> gen2Sockets = Procfs.socketInodes(gen2);
			String tables = "\ngen 1 (pid " + gen1 + ") fds: " + gen1Fds + "\ngen 2 (pid " + gen2 + ") fds: " + gen2Fds;

			Set<Long> shared = new HashSet<>(gen2Sockets);
			Set<Long> gen1Sockets = new HashSet<>(gen1SocketsBefore);
			gen1Sockets.addAll(gen1SocketsAfter);
			shared.retainAll(gen1Sockets);
			assertThat(shared).as("sockets gen 1 and gen 2 both hold; listening: " + listening + tables)
				.containsExactlyInAnyOrderElementsOf(listening);
			assertThat(gen2Sockets).as("gen 2 sockets" + tables).doesNotContainAnyElementsOf(accepted);
			for (int fd = 0; fd <= 2; fd++) {
				assertThat(gen2Fds.get(fd)).as("gen 2 fd " + fd + tables).isEqualTo(gen1Fds.get(fd));
			}
			assertThat(sharedPipes(gen1Fds, gen2Fds)).as("pipes gen 1 and gen 2 both hold, beyond stdio" + tables)
				.isSubsetOf(gen1Fds.get(0), gen1Fds.get(1), gen1Fds.get(2));
			assertThat(sharedFilesNotOpenedByTheJvm(gen1, gen1Fds, gen2Fds))
				.as("files gen 1 holds that gen 2 holds too and would not open itself" + tables)
				.isEmpty();

			for (Http.Connection connection : held) {
				Http.Response last = connection.get("/");
				assertThat(last.status()).isEqualTo(200);
				assertThat(last.header("X-Pid")).as(last.toString()).isEqualTo(Long.toString(gen1));
				assertThat(last.header("Connection")).as(last.toString()).isEqualToIgnoringCase("close");
				assertThat(connection.end()).as("gen 1 closed the connection after Connection: close")
					.matches("EOF|RESET.*");
			}
			Procfs.awaitGone(gen1, EXIT);
			assertThat(Procfs.socketInodes(gen2)).containsAll(listening);
		}
		finally {
			held.forEach(Http.Connection::close);
		}
	}

	/**
	 * Generation 1 started with SIGHUP ignored (as under nohup) says so, is upgraded with
	 * POST, and the generations after it get SIGHUP's default disposition back, so
	 * {@code kill -HUP} upgrades them.
	 */
	@Test
	void aFirstGenerationWithSighupIgnoredIsUpgradedByPostAndLaterOnesBySighup() {
		long gen1 = startGeneration1("/bin/sh", "-c", "trap '' HUP; exec \"$@\"", "sh");
		assertThat(this.app.jvmPid()).isEqualTo(gen1);
		assertThat(ignoredSignals(gen1) & SIGHUP_BIT).as("SIGHUP ignored in gen 1").isNotZero();
		ClientLoop loop = ClientLoop.start(this.app.port(), 2);
		long gen2;
		long gen3;
		long gen4;
		try {
			awaitRequestsServedBy(loop, 1);
			Http.Response post = this.app.postUpgrade();
			assertThat(post.status()).as(post.toString()).isEqualTo(200);
			assertThat(AppUnderTest.json(post).path("generation").asInt()).isEqualTo(2);
			gen2 = this.app.awaitGeneration(2);
			assertThat(ignoredSignals(gen2) & SIGHUP_BIT).as("SIGHUP ignored in gen 2").isZero();
			Procfs.awaitGone(gen1, EXIT);
			this.app.awaitParentExitSeen(gen1);

			Procfs.signal(gen2, "HUP");
			gen3 = this.app.awaitGeneration(3);
			Procfs.awaitGone(gen2, EXIT);
			this.app.awaitParentExitSeen(gen2);

			Procfs.signal(gen3, "HUP");
			gen4 = this.app.awaitGeneration(4);
			Procfs.awaitGone(gen3, EXIT);
			awaitRequestsServedBy(loop, 4);
		}
		finally {
			loop.close();
		}
		assertThat(List.of(gen1, gen2, gen3, gen4)).doesNotHaveDuplicates();
		// gen 1 has exited, so everything it printed is in the log by now
		assertThat(this.app.lines().stream().filter((line) -> line.contains("SIGHUP is ignored")))
			.as("gen 1 (pid " + gen1 + "), and only gen 1, warns that SIGHUP is ignored, in:\n" + this.app.output())
			.singleElement()
			.asString()
			.contains(" WARN " + gen1 + " ");
		assertThat(loop.failures()).as(loop.toString()).isEmpty();
	}

	/**
	 * SIGTERM with a slow request in flight: the request completes, the process exits 0
	 * and the port is closed.
	 */
	@Test
	void sigtermLetsTheRequestInFlightFinishAndExitsZero() throws Exception {
		long gen1 = startGeneration1();
		CompletableFuture<Http.Response> slow = new CompletableFuture<>();
		Thread client = new Thread(() -> {
			try {
				slow.complete(Http.get(this.app.port(), "/slow?ms=3000", Duration.ofSeconds(30)));
			}
			catch (Throwable ex) {
				slow.completeExceptionally(ex);
			}
		}, "slow-request");
		client.setDaemon(true);
		client.start();
		await("gen 1 to accept the slow request").atMost(Duration.ofSeconds(10))
			.pollDelay(Duration.ZERO)
			.pollInterval(Duration.ofMillis(20))
			.until(() -> {
				if (slow.isDone()) {
					throw new AssertionError("GET /slow?ms=3000 ended before it was in flight: "
							+ slow.handle((r, ex) -> (ex != null) ? ex.toString() : r.toString()).join());
				}
				Set<Long> held = Procfs.socketInodes(gen1);
				return Procfs.serverSideInodes(this.app.port()).values().stream().anyMatch(held::contains);
			});
		assertThat(slow).as("the slow request is still in flight").isNotDone();

		Procfs.signal(gen1, "TERM");
		Http.Response response = slow.get(30, TimeUnit.SECONDS);
		assertThat(response.status()).as(response.toString()).isEqualTo(200);
		assertThat(response.text()).contains("Slept 3000 ms in generation 1");
		assertThat(this.app.awaitExit(EXIT)).as(this.app::output).isZero();
		assertThat(Procfs.listeners(this.app.port())).isEmpty();
		assertThatExceptionOfType(ConnectException.class).isThrownBy(() -> {
			try (Socket socket = new Socket()) {
				socket.connect(new InetSocketAddress(Http.HOST, this.app.port()), 5000);
			}
		});
		assertThat(this.app.pidFile()).doesNotExist();
	}

	/**
	 * SIGTERM while an upload is in flight (the request head and part of the body sent):
	 * the rest of the body is still read after the listener closed, the upload is
	 * answered, the process exits 0 and the port is closed. Independent of {@code /slow}.
	 */
	@Test
	void sigtermLetsAnUploadInFlightFinishAndExitsZero() throws Exception {
		long gen1 = startGeneration1();
		byte[] body = new byte[4 * 1024 * 1024];
		new Random(42).nextBytes(body);
		String expected = body.length + " "
				+ HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
		byte[] head = Http.head("POST", "/upload", this.app.port(), "application/octet-stream", body.length, false);
		int firstPart = 64 * 1024;
		try (Http.Connection upload = new Http.Connection(this.app.port(), Duration.ofSeconds(30))) {
			upload.send(head, 0, head.length);
			upload.send(body, 0, firstPart);
			await("gen 1 to accept the upload").atMost(Duration.ofSeconds(10))
				.pollDelay(Duration.ZERO)
				.pollInterval(Duration.ofMillis(20))
				.until(() -> {
					Long inode = Procfs.serverSideInodes(this.app.port()).get(upload.localPort());
					return inode != null && Procfs.socketInodes(gen1).contains(inode);
				});

			Procfs.signal(gen1, "TERM");
			await("gen 1 to close its listener after SIGTERM").atMost(Duration.ofSeconds(30))
				.pollDelay(Duration.ZERO)
				.pollInterval(Duration.ofMillis(20))
				.until(() -> Procfs.listeners(this.app.port()).isEmpty());
			assertThat(Procfs.running(gen1)).as("gen 1 running while the upload is in flight").isTrue();
			upload.send(body, firstPart, body.length - firstPart);
			Http.Response response = upload.readResponse();
			assertThat(response.status()).as(response.toString()).isEqualTo(200);
			assertThat(response.text().trim()).isEqualTo(expected);
			assertThat(response.header("X-Pid")).isEqualTo(Long.toString(gen1));
		}
		assertThat(this.app.awaitExit(EXIT)).as(this.app::output).isZero();
		assertThatExceptionOfType(ConnectException.class).isThrownBy(() -> {
			try (Socket socket = new Socket()) {
				socket.connect(new InetSocketAddress(Http.HOST, this.app.port()), 5000);
			}
		});
	}

	/**
	 * Start generation 1 from the jar copy (the drain timeout is the default's 30 s).
	 * @param launcher a launcher that runs first and execs the rest, or none
	 * @return its pid
	 */
	private long startGeneration1(String... launcher) {
		this.app = new AppUnderTest(this.dir);
		this.app.start((builder) -> builder.launcher(launcher), "--zerodowntime.drain-timeout=30s");
		long gen1 = this.app.awaitGeneration(1);
		assertThat(gen1).isEqualTo(this.app.processPid());
		return gen1;
	}

	private static void awaitRequestsServedBy(ClientLoop loop, int generation) {
		try {
			await("the client loop to be served by generation " + generation).atMost(Duration.ofSeconds(30))
				.pollDelay(Duration.ZERO)
				.pollInterval(Duration.ofMillis(20))
				.until(() -> loop.servedBy(generation) > 0);
		}
		catch (ConditionTimeoutException ex) {
			throw new AssertionError("No request served by generation " + generation + ": " + loop, ex);
		}
	}

	private static long ignoredSignals(long pid) {
		return Long.parseUnsignedLong(Procfs.status(pid, "SigIgn"), 16);
	}

	private Set<Long> listeningInodes() {
		return new LinkedHashSet<>(Procfs.listeners(this.app.port()));
	}

	private static Set<String> sharedPipes(Map<Integer, String> gen1Fds, Map<Integer, String> gen2Fds) {
		Set<String> shared = new LinkedHashSet<>();
		for (String target : gen2Fds.values()) {
			if (target.startsWith("pipe:") && gen1Fds.containsValue(target)) {
				shared.add(target);
			}
		}
		return shared;
	}

	/**
	 * Return the paths gen 2 has open that gen 1 has open too, but for the ones a JVM
	 * running the app opens by itself: the jar, the JDK's files, devices. An inherited
	 * file descriptor of gen 1 would show here (it cannot be told from a file opened anew
	 * when the path is the same, which is why those are left out).
	 */
	private Map<Integer, String> sharedFilesNotOpenedByTheJvm(long gen1, Map<Integer, String> gen1Fds,
			Map<Integer, String> gen2Fds) {
		Path javaHome = Path.of(System.getProperty("java.home"));
		Set<String> jdk = new LinkedHashSet<>(List.of(javaHome.toString(), realPath(javaHome).toString()));
		Pattern ownPid = Pattern.compile("(^|/)" + gen1 + "($|/)");
		Map<Integer, String> suspicious = new LinkedHashMap<>();
		for (Map.Entry<Integer, String> fd : gen2Fds.entrySet()) {
			String target = fd.getValue();
			if (!target.startsWith("/") || fd.getKey() <= 2) {
				continue;
			}
			Matcher namesGen1 = ownPid.matcher(target);
			boolean sharedWithGen1 = gen1Fds.containsValue(target);
			boolean jvmFile = target.equals(this.app.jar().toString()) || target.startsWith("/dev/")
					|| jdk.stream().anyMatch((home) -> target.startsWith(home + "/"));
			if (namesGen1.find() || (sharedWithGen1 && !jvmFile)) {
				suspicious.put(fd.getKey(), target);
			}
		}
		return suspicious;
	}

	private static Path realPath(Path path) {
		try {
			return path.toRealPath();
		}
		catch (IOException ex) {
			return path;
		}
	}

}
