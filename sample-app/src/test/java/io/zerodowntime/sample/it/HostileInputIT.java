package io.zerodowntime.sample.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import org.assertj.core.api.SoftAssertions;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile or stale input: socket-activation variables and our own handover variables
 * forged in every way (another pid, counts that do not match, garbage, a closed fd, a
 * regular file, a connected socket). Each start either serves, as generation 1, on a
 * socket it bound itself, after a clear message, or stops with a failure analysis; never
 * a wrong socket, never a bare stack trace. Also: a jar overwritten in place, the PID
 * file and a planted symlink, the environment of processes the application spawns, and
 * the endpoint without write access.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileInputIT {

	private static final Path SOCKET_ACTIVATE = Path.of("/usr/bin/systemd-socket-activate");

	private static final int CLIENTS = 3;

	private static final List<String> HANDOVER_VARIABLES = List.of("LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
			"ZERODOWNTIME_HANDSHAKE_FD", "ZERODOWNTIME_GENERATION", "ZERODOWNTIME_PARENT_PID",
			"ZERODOWNTIME_ORIGINAL_START");

	/**
	 * What a clean generation 1 holds, to compare the generations started with forged
	 * input: taken by the first test, which starts one anyway.
	 */
	private static volatile AppUnderTest.Snapshot clean;

	@TempDir
	Path dir;

	private final List<AutoCloseable> resources = new ArrayList<>();

	private AppUnderTest.Snapshot clean() {
		if (clean == null) {
			try (AppUnderTest app = new AppUnderTest(this.dir.resolve("clean"))) {
				app.start();
				clean = app.baseline(app.awaitServing(1));
			}
		}
		return clean;
	}

	@AfterEach
	void closeEverything() throws Exception {
		for (int i = this.resources.size() - 1; i >= 0; i--) {
			this.resources.get(i).close();
		}
	}

	private AppUnderTest app() {
		AppUnderTest app = new AppUnderTest(this.dir);
		this.resources.add(app);
		return app;
	}

	// ---- forged or stale socket-activation and handover variables ----

	enum Expect {

		/** Starts as generation 1, on a socket it bound itself, after the message. */
		STARTS,

		/** Stops with Spring Boot's failure analysis containing the message. */
		STOPS,

		/** Either of the above, but nothing in between (such as a wedged JVM). */
		STARTS_OR_STOPS

	}

	/**
	 * One forged start.
	 *
	 * @param name what is forged
	 * @param activateOn {@code null}, or where {@code systemd-socket-activate} binds a
	 * real listener passed as fd 3: {@code "other"} (another port) or {@code "same"} (the
	 * port the application is configured for)
	 * @param script shell lines run before the JVM is exec'd ({@code $$} is then the
	 * JVM's pid); {@code @FILE@}, {@code @PEER@}, {@code @DEAD@}, {@code @TESTPID@} are
	 * replaced by a regular file, the port of a peer that accepts connections, a pid that
	 * has exited, and the test JVM's pid
	 * @param expect what must happen
	 * @param message what the log or the failure analysis must say (a regular expression)
	 */
	record Forgery(String name, String activateOn, String script, Expect expect, String message) {

		@Override
		public String toString() {
			return this.name;
		}

	}

	/**
	 * The forgeries a real kernel must judge (a real listener, fd 3 as a file or a
	 * connected socket, a socket's peer process). Malformed values (garbage numbers, a
	 * closed fd, an impossible parent pid) are judged by the same code with a fake
	 * operating system: {@code ListenFdsTests}, {@code ProcessStateTests}.
	 */
	static Stream<Forgery> forgeries() {
		String handover = "export ZERODOWNTIME_GENERATION=2 ZERODOWNTIME_ORIGINAL_START=1700000000000; ";
		String ignored = "(?i)ignoring (malformed )?(the )?handover variables.*starting as generation 1";
		return Stream.of(
				new Forgery("LISTEN_PID of a process that has exited, with a real listener on another port", "other",
						"export LISTEN_PID=@DEAD@", Expect.STARTS,
						"Ignoring the socket-activation variables: LISTEN_PID=@DEAD@ names another process"),
				new Forgery("LISTEN_FDS counts two fds where one was passed", "same", "export LISTEN_FDS=2",
						Expect.STARTS_OR_STOPS, "fd 4"),
				new Forgery("LISTEN_FDNAMES names two fds where LISTEN_FDS counts one", null,
						"exec 3<&-; export LISTEN_PID=$$ LISTEN_FDS=1 LISTEN_FDNAMES=http:management", Expect.STOPS,
						"LISTEN_FDNAMES='http:management' names 2 fd\\(s\\) but LISTEN_FDS=1"),
				new Forgery("LISTEN_FDS=1 but fd 3 is closed", null, "exec 3<&-; export LISTEN_PID=$$ LISTEN_FDS=1",
						Expect.STOPS, "fd 3"),
				new Forgery("LISTEN_FDS=1 and fd 3 is a regular file", null,
						"exec 3<'@FILE@' || exit 97; export LISTEN_PID=$$ LISTEN_FDS=1 LISTEN_FDNAMES=http",
						Expect.STOPS, "fd 3 is a regular file"),
				new Forgery("LISTEN_FDS=1 and fd 3 is a connected socket", null,
						"exec 3<>/dev/tcp/127.0.0.1/@PEER@ || exit 97; export LISTEN_PID=$$ LISTEN_FDS=1", Expect.STOPS,
						"fd 3 is a stream socket that is not listening"),
				new Forgery("ZERODOWNTIME_HANDSHAKE_FD names a regular file", null,
						"exec 3<'@FILE@' || exit 97; " + handover
								+ "export ZERODOWNTIME_HANDSHAKE_FD=3 ZERODOWNTIME_PARENT_PID=@TESTPID@",
						Expect.STARTS, ignored),
				new Forgery("ZERODOWNTIME_HANDSHAKE_FD names a socket whose peer is not ZERODOWNTIME_PARENT_PID", null,
						"exec 3<>/dev/tcp/127.0.0.1/@PEER@ || exit 97; " + handover
								+ "export ZERODOWNTIME_HANDSHAKE_FD=3 ZERODOWNTIME_PARENT_PID=@TESTPID@",
						Expect.STARTS, ignored));
	}

	@ParameterizedTest(name = "{0}")
	@Order(2)
	@MethodSource("forgeries")
	void forgedOrStaleVariables(Forgery forgery) throws Exception {
		System.out.println("[hostile] ---- " + forgery.name() + " ----");
		AppUnderTest app = app();
		Peer peer = new Peer();
		this.resources.add(peer);
		Path file = this.dir.resolve("not-a-socket.txt");
		Files.writeString(file, "just a file\n");
		long dead = deadPid();
		String script = forgery.script()
			.replace("@FILE@", file.toString())
			.replace("@PEER@", Integer.toString(peer.port()))
			.replace("@DEAD@", Long.toString(dead))
			.replace("@TESTPID@", Long.toString(ProcessHandle.current().pid()));
		String message = forgery.message().replace("@DEAD@", Long.toString(dead));
		List<String> launcher = new ArrayList<>();
		int otherPort = Http.freePort();
		Socket strayClient = null;
		CompletableFuture<Http.Response> trigger = null;
		if (forgery.activateOn() != null) {
			assertThat(SOCKET_ACTIVATE).as("systemd-socket-activate (Debian: apt-get install systemd)").isExecutable();
			int activated = forgery.activateOn().equals("same") ? app.port() : otherPort;
			launcher.addAll(List.of(SOCKET_ACTIVATE.toString(), "-l", Http.HOST + ":" + activated));
		}
		launcher.addAll(List.of("/bin/bash", "-c", script + "; exec \"$@\"", "bash"));
		app.start((b) -> b.launcher(launcher.toArray(String[]::new)));
		if ("other".equals(forgery.activateOn())) {
			// systemd-socket-activate starts the command on the first connection; this
			// one must never be answered
			app.awaitLog("Listening on .* as 3\\.", Duration.ofSeconds(10));
			strayClient = new Socket();
			strayClient.connect(new InetSocketAddress(Http.HOST, otherPort), 5000);
			strayClient.getOutputStream()
				.write(("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
			this.resources.add(strayClient);
		}
		else if ("same".equals(forgery.activateOn())) {
			app.awaitLog("Listening on .* as 3\\.", Duration.ofSeconds(10));
			trigger = CompletableFuture.supplyAsync(() -> Http.get(app.port(), "/", Duration.ofSeconds(60)));
		}
		Expect outcome = awaitOutcome(app, forgery.expect());
		SoftAssertions softly = new SoftAssertions();
		if (outcome == Expect.STOPS) {
			int exit = app.awaitExit(Duration.ofSeconds(30));
			assertStoppedWithReport(softly, app, exit, (forgery.expect() == Expect.STOPS) ? message : null);
			softly.assertThat(Procfs.listeners(app.port())).as("listeners on the configured port").isEmpty();
			app.assertNoOrphans(-1);
			app.assertNoZombies();
		}
		else {
			long[] served = awaitServingAnyGeneration(app);
			long pid = served[1];
			softly.assertThat(served[0]).as("X-Generation of GET /").isEqualTo(1);
			softly.assertThat(app.findLog(message))
				.as("a log line matching /%s/ (the clear message; the log is printed below)", message)
				.isPresent();
			JsonNode status = app.status();
			softly.assertThat(status.get("generation").asInt()).as("generation in %s", status).isEqualTo(1);
			softly.assertThat(status.get("parentPid").isNull()).as("parentPid is null in %s", status).isTrue();
			if (trigger != null) {
				Http.Response first = trigger.get(60, TimeUnit.SECONDS);
				softly.assertThat(first.status()).as("the connection that triggered the activation").isEqualTo(200);
			}
			for (int i = 0; i < 10; i++) {
				Http.Response response = Http.get(app.port(), (i % 2 == 0) ? "/" : "/actuator/upgrade",
						Duration.ofSeconds(10));
				softly.assertThat(response.status()).as("request %d after startup", i).isEqualTo(200);
			}
			List<Long> listeners = Procfs.listeners(app.port());
			softly.assertThat(listeners).as("listeners on %d", app.port()).hasSize(1);
			softly.assertThat(Procfs.socketInodes(pid)).as("sockets of the JVM").containsAll(listeners);
			softly.assertThat(Procfs.environ(pid))
				.as("/proc/%d/environ", pid)
				.doesNotContainKeys(HANDOVER_VARIABLES.toArray(String[]::new));
			softly.assertThat(app.lines())
				.as("stack trace lines")
				.noneMatch((line) -> line.matches("\\s+at \\S+\\(.*\\)"));
			ClientLoop load = ClientLoop.start(app.port(), CLIENTS);
			try {
				load.awaitMoreOk(30, Duration.ofSeconds(30));
			}
			finally {
				load.close();
			}
			AppUnderTest.Snapshot expected = clean();
			if ("other".equals(forgery.activateOn())) {
				// the stale listener stays open in the process (as sd_listen_fds leaves
				// it), never accepted on
				expected = new AppUnderTest.Snapshot(expected.pid(), expected.fds() + 1, expected.sockets() + 1,
						expected.listeners() + 1, expected.unix(), expected.threads(), expected.rssKb());
			}
			app.assertEndState(load, (int) served[0], expected);
		}
		if (strayClient != null) {
			strayClient.setSoTimeout(1000);
			int read;
			try {
				read = strayClient.getInputStream().read();
			}
			catch (SocketTimeoutException ex) {
				read = -2;
			}
			softly.assertThat(read)
				.as("bytes answered on the stale listener (port %d) that is not ours", otherPort)
				.isEqualTo(-2);
		}
		softly.assertThat(peer.received()).as("bytes the JVM wrote to the peer of fd 3").isZero();
		softly.assertAll();
	}

	private Expect awaitOutcome(AppUnderTest app, Expect expected) {
		Expect[] outcome = new Expect[1];
		try {
			Awaitility.await("the application to serve or to stop")
				.atMost(Duration.ofSeconds(45))
				.pollInterval(Duration.ofMillis(100))
				.until(() -> {
					if (!app.isAlive() || app.findLog("APPLICATION FAILED TO START").isPresent()) {
						outcome[0] = Expect.STOPS;
						return true;
					}
					if (app.findLog("Generation \\d+ \\(pid \\d+\\) is ready").isPresent()) {
						outcome[0] = Expect.STARTS;
						return true;
					}
					return false;
				});
		}
		catch (ConditionTimeoutException ex) {
			throw new AssertionError("the application neither served nor stopped; output:\n" + app.output(), ex);
		}
		if (expected != Expect.STARTS_OR_STOPS) {
			assertThat(outcome[0]).as("how the application reacted; output:%n%s", app.output()).isEqualTo(expected);
		}
		return outcome[0];
	}

	/**
	 * Wait until {@code GET /} is answered, by whichever generation: {generation, pid}.
	 */
	private static long[] awaitServingAnyGeneration(AppUnderTest app) {
		try {
			return Awaitility.await("GET / on " + app.port() + " to be answered")
				.atMost(AppUnderTest.STARTUP)
				.pollInterval(Duration.ofMillis(100))
				.ignoreExceptions()
				.until(() -> {
					Http.Response response = Http.get(app.port(), "/", Duration.ofSeconds(5));
					return (response.status() != 200) ? null : new long[] {
							Long.parseLong(response.header("X-Generation")), Long.parseLong(response.header("X-Pid")) };
				}, Objects::nonNull);
		}
		catch (ConditionTimeoutException ex) {
			throw new AssertionError("GET / was never answered; output:\n" + app.output(), ex);
		}
	}

	private static void assertStoppedWithReport(SoftAssertions softly, AppUnderTest app, int exit, String message) {
		String output = app.output();
		softly.assertThat(exit).as("exit code; output:%n%s", output).isNotZero();
		List<String> lines = app.lines();
		int description = lines.indexOf("Description:");
		int action = lines.indexOf("Action:");
		softly.assertThat(output).contains("APPLICATION FAILED TO START");
		softly.assertThat(description).as("'Description:' line").isNotNegative();
		softly.assertThat(action).as("'Action:' line after the description").isGreaterThan(description);
		if (description >= 0 && action > description) {
			String descriptionText = String.join("\n", lines.subList(description + 1, action)).trim();
			if (message != null) {
				softly.assertThat(descriptionText).as("description").containsPattern(message);
			}
			softly.assertThat(String.join("\n", lines.subList(action + 1, lines.size())).trim())
				.as("action")
				.isNotBlank();
		}
		softly.assertThat(lines)
			.as("stack trace lines in the output")
			.noneMatch((line) -> line.matches("\\s+at \\S+\\(.*\\)"));
		softly.assertThat(output).doesNotContain("Application run failed");
	}

	/** A pid that existed a moment ago and has exited (and been reaped). */
	private static long deadPid() throws Exception {
		Process process = new ProcessBuilder("/bin/true").start();
		process.waitFor(10, TimeUnit.SECONDS);
		return process.pid();
	}

	/** A TCP server that accepts connections and counts every byte it is sent. */
	static final class Peer implements AutoCloseable {

		private final ServerSocket server;

		private final AtomicLong received = new AtomicLong();

		private final List<Socket> accepted = new ArrayList<>();

		Peer() throws IOException {
			this.server = new ServerSocket();
			this.server.bind(new InetSocketAddress(InetAddress.getByName(Http.HOST), 0));
			Thread thread = new Thread(this::accept, "hostile-peer");
			thread.setDaemon(true);
			thread.start();
		}

		int port() {
			return this.server.getLocalPort();
		}

		long received() {
			return this.received.get();
		}

		private void accept() {
			while (!this.server.isClosed()) {
				try {
					Socket socket = this.server.accept();
					synchronized (this.accepted) {
						this.accepted.add(socket);
					}
					Thread reader = new Thread(() -> {
						try (InputStream in = socket.getInputStream()) {
							byte[] buffer = new byte[256];
							int count;
							while ((count = in.read(buffer)) > 0) {
								this.received.addAndGet(count);
								System.out.println("[hostile-peer] received: "
										+ new String(buffer, 0, count, StandardCharsets.UTF_8).strip());
							}
						}
						catch (IOException ex) {
							// closed
						}
					}, "hostile-peer-reader");
					reader.setDaemon(true);
					reader.start();
				}
				catch (IOException ex) {
					return;
				}
			}
		}

		@Override
		public void close() throws IOException {
			this.server.close();
			synchronized (this.accepted) {
				for (Socket socket : this.accepted) {
					socket.close();
				}
			}
		}

	}

	// ---- the deploy rule ----

	/**
	 * The jar overwritten in place with a real new release (other bytes, every entry
	 * moved): the upgrade is refused, by POST and by SIGHUP, with a message that says to
	 * deploy by atomic rename, and the running generation serves on. After a rename
	 * deploy the upgrade succeeds.
	 */
	@Test
	@Order(3)
	void aJarOverwrittenInPlaceIsRefusedAndARenameDeployUpgrades() throws Exception {
		AppUnderTest app = app();
		Path release = this.dir.resolve("release-2.jar");
		newRelease(app.jar(), release);
		app.start();
		long gen1 = app.awaitServing(1);
		AppUnderTest.Snapshot fresh = app.baseline(gen1);
		Object inode = Files.getAttribute(app.jar(), "unix:ino");
		SoftAssertions softly = new SoftAssertions();
		ClientLoop load = ClientLoop.start(app.port(), CLIENTS);
		Http.Response refused = null;
		try {
			load.awaitMoreOk(20, Duration.ofSeconds(30));
			AppUnderTest.run("cp", release.toString(), app.jar().toString());
			assertThat(Files.getAttribute(app.jar(), "unix:ino")).as("inode after cp (overwritten in place)")
				.isEqualTo(inode);
			try {
				refused = Http.post(app.port(), "/actuator/upgrade", Http.JSON, Duration.ofSeconds(30));
				System.out
					.println("[fault] POST after an in-place overwrite: " + refused.status() + " " + refused.text());
			}
			catch (UncheckedIOException ex) {
				System.out.println("[fault] POST after an in-place overwrite: " + ex);
				softly.fail("POST /actuator/upgrade after an in-place overwrite was not answered: " + ex.getMessage());
			}
			if (refused != null) {
				softly.assertThat(refused.status())
					.as("POST /actuator/upgrade after an in-place overwrite: %s", refused)
					.isEqualTo(409);
				softly.assertThat(refused.text())
					.as("body of the refusal")
					.contains("\"REFUSED\"")
					.contains("overwritten in place")
					.contains("atomic rename");
			}
			// the other trigger, SIGHUP, is refused the same way
			long before = app
				.count("refused an upgrade \\(trigger: SIGHUP.*\\): .*overwritten in place.*atomic rename");
			Procfs.signal(gen1, "HUP");
			try {
				Awaitility.await("SIGHUP to be refused")
					.atMost(Duration.ofSeconds(10))
					.until(() -> app.count("Generation 1 \\(pid " + gen1
							+ "\\) refused an upgrade \\(trigger: SIGHUP.*\\): .*overwritten in place.*atomic rename") > before);
			}
			catch (ConditionTimeoutException ex) {
				softly.fail("no log line saying that the upgrade by SIGHUP was refused because the jar was overwritten "
						+ "in place, with 'atomic rename'");
			}
			for (int i = 0; i < 5; i++) {
				Http.Response response = Http.get(app.port(), "/", Duration.ofSeconds(10));
				assertThat(response.status()).as("GET / after the overwrite: %s", response).isEqualTo(200);
				assertThat(response.header("X-Pid")).isEqualTo(Long.toString(gen1));
			}
			load.awaitMoreOk(20, Duration.ofSeconds(30));
			try {
				JsonNode afterRefusal = AppUnderTest
					.json(Http.get(app.port(), "/actuator/upgrade", Duration.ofSeconds(10)));
				JsonNode last = afterRefusal.get("lastUpgrade");
				softly.assertThat(last.isNull() ? null : last.get("reason").asString())
					.as("lastUpgrade.reason in GET /actuator/upgrade after the refused upgrade: %s", afterRefusal)
					.contains("atomic rename");
			}
			catch (RuntimeException ex) {
				softly.fail("GET /actuator/upgrade after the in-place overwrite failed: " + ex.getMessage());
			}
			assertThat(app.javaPidsSeen()).as("java processes ever started").containsExactlyInAnyOrder(gen1);
			// the proper deploy: a new inode by rename
			Path temp = app.jar().resolveSibling("app.jar.tmp");
			Files.copy(release, temp);
			Files.move(temp, app.jar(), StandardCopyOption.ATOMIC_MOVE);
			if (refused != null) {
				Http.Response post = app.postUpgrade();
				assertThat(post.status()).as("POST /actuator/upgrade after a rename deploy: %s", post).isEqualTo(200);
			}
			else {
				Procfs.signal(gen1, "HUP");
			}
			try {
				Awaitility.await("generation 2 after the rename deploy")
					.atMost(Duration.ofSeconds(60))
					.pollInterval(Duration.ofMillis(200))
					.until(() -> Procfs.javaPids(app.jar()).stream().anyMatch((p) -> p != gen1));
			}
			catch (ConditionTimeoutException ex) {
				softly.fail("no upgrade after a rename deploy (triggered by " + ((refused != null) ? "POST" : "SIGHUP")
						+ "): the generation whose jar was overwritten in place cannot be upgraded any more");
				softly.assertAll();
			}
			app.awaitServing(2);
			int exit = app.awaitExit(Duration.ofSeconds(90));
			System.out.println("[fault] generation 1, whose jar was overwritten in place, exited with " + exit);
			softly.assertThat(exit).as("exit code of generation 1").isZero();
			load.awaitMoreOk(20, Duration.ofSeconds(30));
		}
		finally {
			load.close();
		}
		app.assertEndState(load, 2, fresh);
		softly.assertAll();
	}

	/**
	 * A different build of the release: the same entries with one more after the
	 * manifest, so that every later entry moves (as in a real new release).
	 */
	private static void newRelease(Path source, Path target) throws IOException {
		try (ZipFile zip = new ZipFile(source.toFile());
				ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(target))) {
			Enumeration<? extends ZipEntry> entries = zip.entries();
			boolean added = false;
			while (entries.hasMoreElements()) {
				ZipEntry entry = entries.nextElement();
				ZipEntry copy;
				if (entry.getMethod() == ZipEntry.STORED) {
					copy = new ZipEntry(entry);
				}
				else {
					copy = new ZipEntry(entry.getName());
					copy.setTime(entry.getTime());
				}
				out.putNextEntry(copy);
				try (InputStream in = zip.getInputStream(entry)) {
					in.transferTo(out);
				}
				out.closeEntry();
				if (!added && entry.getName().equals("META-INF/MANIFEST.MF")) {
					out.putNextEntry(new ZipEntry("META-INF/zerodowntime-test-release.txt"));
					out.write(("release 2, built at " + System.nanoTime() + "\n").getBytes(StandardCharsets.UTF_8));
					out.closeEntry();
					added = true;
				}
			}
			assertThat(added).as("the jar has a manifest").isTrue();
		}
	}

	// ---- the PID file and the environment of spawned processes ----

	@Test
	@Order(4)
	void thePidFileIsNeverWrittenThroughAPlantedSymlinkAndSpawnedProcessesSeeNoHandoverVariable() throws Exception {
		AppUnderTest app = app();
		Path victim = this.dir.resolve("elsewhere/victim.txt");
		Files.createDirectories(victim.getParent());
		Files.writeString(victim, "precious\n");
		Files.createSymbolicLink(app.pidFile(), victim);
		app.start();
		long gen1 = app.awaitServing(1);
		AppUnderTest.Snapshot fresh = app.baseline(gen1);
		assertPidFile(app.pidFile(), gen1, victim);
		ClientLoop load = ClientLoop.start(app.port(), CLIENTS);
		long gen2;
		try {
			load.awaitMoreOk(20, Duration.ofSeconds(30));
			assertNoHandoverVariables(Http.get(app.port(), "/child-env"), 1);
			Files.delete(app.pidFile());
			Files.createSymbolicLink(app.pidFile(), victim);
			Http.Response post = app.postUpgrade();
			assertThat(post.status()).as("POST /actuator/upgrade: %s", post).isEqualTo(200);
			gen2 = app.awaitServing(2);
			assertThat(app.awaitExit(Duration.ofSeconds(60))).as("exit code of generation 1").isZero();
			load.awaitMoreOk(20, Duration.ofSeconds(30));
			assertNoHandoverVariables(Http.get(app.port(), "/child-env"), 2);
		}
		finally {
			load.close();
		}
		assertPidFile(app.pidFile(), gen2, victim);
		assertThat(Procfs.environ(gen2)).as("/proc/%d/environ of generation 2", gen2)
			.containsKey("PATH")
			.doesNotContainKeys(HANDOVER_VARIABLES.toArray(String[]::new));
		app.assertEndState(load, 2, fresh);
	}

	private static void assertPidFile(Path pidFile, long pid, Path victim) throws IOException {
		assertThat(Files.isSymbolicLink(pidFile)).as("%s is a symbolic link", pidFile).isFalse();
		assertThat(Files.isRegularFile(pidFile, LinkOption.NOFOLLOW_LINKS)).as("%s is a regular file", pidFile)
			.isTrue();
		assertThat(Files.readString(pidFile).trim()).as("content of the PID file").isEqualTo(Long.toString(pid));
		Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(pidFile, LinkOption.NOFOLLOW_LINKS);
		assertThat(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
				PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ))
			.as("mode of the PID file (0644 or stricter)")
			.containsAll(permissions);
		assertThat(Files.readString(victim)).as("the file the planted symlink pointed to").isEqualTo("precious\n");
	}

	private static void assertNoHandoverVariables(Http.Response childEnv, int generation) {
		assertThat(childEnv.status()).as("GET /child-env: %s", childEnv).isEqualTo(200);
		assertThat(childEnv.header("X-Generation")).isEqualTo(Integer.toString(generation));
		List<String> lines = childEnv.text().lines().toList();
		assertThat(lines).as("environment of a process spawned by generation %d", generation)
			.anyMatch((line) -> line.startsWith("PATH="))
			.noneMatch((line) -> HANDOVER_VARIABLES.stream().anyMatch((name) -> line.startsWith(name + "=")));
	}

	// ---- the endpoint without write access ----

	@Test
	@Order(1)
	void postWithoutWriteAccessIsNotAllowedWhileGetWorks() {
		AppUnderTest app = app();
		app.start("--management.endpoint.upgrade.access=read-only");
		long gen1 = app.awaitServing(1);
		AppUnderTest.Snapshot fresh = app.baseline(gen1);
		if (clean == null) {
			// access to the endpoint changes nothing a process holds
			clean = fresh;
		}
		ClientLoop load = ClientLoop.start(app.port(), CLIENTS);
		try {
			load.awaitMoreOk(20, Duration.ofSeconds(30));
			Http.Response post = app.postUpgrade();
			System.out.println("[fault] POST without write access: " + post.status() + " " + post.text());
			assertThat(post.status()).as("POST /actuator/upgrade without write access: %s", post)
				.isNotEqualTo(200)
				.isIn(404, 405);
			AppUnderTest.sleep(1000);
			load.awaitMoreOk(20, Duration.ofSeconds(30));
		}
		finally {
			load.close();
		}
		JsonNode status = app.status();
		assertThat(status.get("generation").asInt()).isEqualTo(1);
		assertThat(status.get("state").asString()).isEqualTo("SERVING");
		assertThat(status.get("lastUpgrade").isNull()).as("lastUpgrade in %s", status).isTrue();
		assertThat(app.count("is starting generation")).as("upgrades started").isZero();
		assertThat(app.javaPidsSeen()).as("java processes ever started").containsExactlyInAnyOrder(gen1);
		app.assertEndState(load, 1, fresh);
	}

}
