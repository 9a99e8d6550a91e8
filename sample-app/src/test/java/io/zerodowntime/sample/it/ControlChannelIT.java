package io.zerodowntime.sample.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The local control channel, on an HTTPS application ({@code server.ssl.*} with a
 * self-signed certificate the test makes, and a management port, which then speaks TLS
 * too): {@code zerodowntime-upgrade --socket} (what {@code ExecReload=} runs) upgrades it
 * twice under a client load with no failed request, while a prober connects to the
 * control socket again and again and is never refused; {@code status} over the socket;
 * the socket's mode is 0600; the script's HTTP path against the TLS management port fails
 * at once saying why (plain HTTP: 400; https: an unverifiable certificate) and what to
 * use instead; a POST to {@code /actuator/upgrade} without
 * {@code Content-Type: application/json} is answered 415 and upgrades nothing, with it it
 * upgrades; SIGHUP upgrades; the log names each trigger. Also: a control socket path
 * taken by a regular file stops generation 1 with the reason and the fix.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ControlChannelIT {

	private static final Path BIN = Path.of(System.getProperty("sampleApp.systemdDir", "src/main/systemd"), "bin")
		.toAbsolutePath();

	private static final JsonMapper JSON = JsonMapper.builder().build();

	@TempDir
	Path dir;

	private AppUnderTest app;

	private AppUnderTest refused;

	@AfterEach
	void stopEverything() {
		if (this.app != null) {
			this.app.close();
		}
		if (this.refused != null) {
			this.refused.close();
		}
	}

	@Test
	void anHttpsApplicationIsUpgradedThroughTheControlSocketAndTheEndpointWantsJson() throws Exception {
		AppUnderTest.requireTool("/usr/bin/curl", "curl", "zerodowntime-upgrade needs it");
		Path keyStore = keyStore();
		Path socket = this.dir.resolve("run/control.sock");
		int management = Http.freePort();
		this.app = new AppUnderTest(this.dir.resolve("app"));
		Http.useTls(this.app.port());
		Http.useTls(management);
		this.app.start("--server.ssl.key-store=file:" + keyStore, "--server.ssl.key-store-password=secret",
				"--management.server.port=" + management, "--management.server.address=127.0.0.1",
				"--zerodowntime.control-socket=" + socket);
		long gen1 = this.app.awaitServing(1);
		// published when the application is ready, a moment after it first answers
		this.app.awaitLog("Control socket " + java.util.regex.Pattern.quote(socket.toString()) + " answers",
				AppUnderTest.STARTUP);

		// the socket: owner only, and the status of generation 1
		assertThat(Files.getPosixFilePermissions(socket, LinkOption.NOFOLLOW_LINKS))
			.isEqualTo(PosixFilePermissions.fromString("rw-------"));
		// reachable before the generation reports ready, so it may say STARTING for a
		// moment
		JsonNode status = await("the control socket to report generation 1 serving").atMost(Duration.ofSeconds(30))
			.until(() -> JSON.readTree(send(socket, "status\n")), (s) -> "SERVING".equals(s.get("state").asString()));
		assertThat(status.get("generation").asInt()).isEqualTo(1);
		assertThat(status.get("pid").asLong()).isEqualTo(gen1);
		assertThat(status.get("state").asString()).isEqualTo("SERVING");
		assertThat(status.get("listeners").findValuesAsString("name")).contains("http", "management");
		assertThat(Http.get(management, "/actuator/upgrade").text()).contains("\"generation\":1");

		// the endpoint over HTTP: plain http to the TLS port and an unverifiable
		// certificate fail at
		// once with the way out, not after the timeout; no target at all is a usage error
		String upgradeScript = BIN.resolve("zerodowntime-upgrade").toString();
		Result plainHttp = run(upgradeScript, "--url", "http://127.0.0.1:" + management + "/actuator/upgrade",
				"--timeout", "150");
		assertThat(plainHttp.code()).as(plainHttp.output()).isEqualTo(1);
		assertThat(plainHttp.output()).contains("answered 400 (Bad Request")
			.contains("speaks HTTPS")
			.contains("--socket");
		Result selfSigned = run(upgradeScript, "--url", "https://127.0.0.1:" + management + "/actuator/upgrade",
				"--timeout", "150");
		assertThat(selfSigned.code()).as(selfSigned.output()).isEqualTo(1);
		assertThat(selfSigned.output()).contains("TLS error").contains("--cacert").contains("control socket");
		Result noTarget = run(upgradeScript);
		assertThat(noTarget.code()).as(noTarget.output()).isEqualTo(2);
		assertThat(noTarget.output()).contains("name the application: --socket PATH");
		assertThat(this.app.count("is starting generation 2")).isZero();

		Prober prober = new Prober(socket);
		ClientLoop load = ClientLoop.start(this.app.port(), 3);
		long gen4;
		try {
			// twice through the control socket, as ExecReload= does
			for (int generation = 2; generation <= 3; generation++) {
				Result upgraded = run(BIN.resolve("zerodowntime-upgrade").toString(), "--socket", socket.toString(),
						"--timeout", "150");
				assertThat(upgraded.code()).as(upgraded.output()).isZero();
				assertThat(upgraded.output())
					.contains("upgraded: {\"outcome\":\"SUCCEEDED\",\"generation\":" + generation);
				this.app.awaitServing(generation);
				load.awaitMoreOk(20, Duration.ofSeconds(60));
			}
			JsonNode third = JSON.readTree(send(socket, "status\n"));
			assertThat(third.get("generation").asInt()).isEqualTo(3);

			// the endpoint: no JSON content type, no upgrade
			Http.Response plain = Http.post(management, "/actuator/upgrade", "application/octet-stream",
					Duration.ofSeconds(60));
			assertThat(plain.status()).as("POST with a non-JSON content type: %s", plain).isEqualTo(415);
			assertThat(plain.text()).contains("needs 'Content-Type: application/json'");
			Http.Response bare = Http.post(management, "/actuator/upgrade", null, Duration.ofSeconds(60));
			assertThat(bare.status()).as("POST without a content type: %s", bare).isEqualTo(415);
			assertThat(bare.text()).contains("(got none)");
			assertThat(this.app.count("is starting generation 4")).isZero();
			assertThat(JSON.readTree(send(socket, "status\n")).get("generation").asInt()).isEqualTo(3);

			// with it: an upgrade, once generation 2 has gone
			Http.Response post = await("POST /actuator/upgrade to be accepted").atMost(Duration.ofSeconds(90))
				.pollInterval(Duration.ofMillis(300))
				.until(() -> Http.post(management, "/actuator/upgrade", Http.JSON, Duration.ofSeconds(150)),
						(r) -> r.status() != 409 || !r.text().contains("has not exited"));
			assertThat(post.status()).as("POST with JSON: %s", post).isEqualTo(200);
			gen4 = this.app.awaitServing(4);

			// SIGHUP, once generation 3 has gone
			this.app.awaitLog("Generation 4 \\(pid " + gen4 + "\\) is ready", Duration.ofSeconds(60));
			long gen3 = third.get("pid").asLong();
			await("generation 3 to exit").atMost(Duration.ofSeconds(90))
				.until(() -> !ProcessHandle.of(gen3).map(ProcessHandle::isAlive).orElse(false));
			new ProcessBuilder("kill", "-HUP", Long.toString(gen4)).start().waitFor();
			this.app.awaitServing(5);
			load.awaitMoreOk(20, Duration.ofSeconds(60));
		}
		finally {
			load.close();
			prober.close();
		}
		System.out.println("[control] load: " + load.summary() + "; prober: " + prober.answered.get()
				+ " status answers during the upgrades, failures " + prober.failures);
		assertThat(load.failures()).as("failed client requests (%s)", load.summary()).isEmpty();
		assertThat(prober.failures).as("failed connections to the control socket").isEmpty();
		assertThat(prober.answered.get()).as("status answers during the upgrades").isPositive();

		// the log says what triggered each upgrade
		this.app.awaitLog(
				"Generation 1 \\(pid " + gen1
						+ "\\) is starting generation 2 .* \\(trigger: control socket \\(pid \\d+, uid \\d+\\)\\)",
				Duration.ofSeconds(5));
		this.app.awaitLog("is starting generation 3 .* \\(trigger: control socket \\(pid \\d+, uid \\d+\\)\\)",
				Duration.ofSeconds(5));
		this.app.awaitLog("is starting generation 4 .* \\(trigger: POST /actuator/upgrade from 127\\.0\\.0\\.1\\)",
				Duration.ofSeconds(5));
		this.app.awaitLog("Generation 4 \\(pid " + gen4 + "\\) is starting generation 5 .* \\(trigger: SIGHUP",
				Duration.ofSeconds(5));

		// one generation serves, nothing is left behind, the socket is the last
		// generation's
		long serving = this.app.assertOneGenerationServing(5);
		this.app.assertNoOrphans(serving);
		this.app.assertNoZombies();
		assertThat(JSON.readTree(send(socket, "status\n")).get("pid").asLong()).isEqualTo(serving);
		try (Stream<Path> files = Files.list(socket.getParent())) {
			assertThat(files.map((p) -> p.getFileName().toString())).containsExactly("control.sock");
		}
	}

	@Test
	void aControlSocketPathTakenByAFileStopsGenerationOneWithTheFix() throws Exception {
		Path taken = Files.writeString(this.dir.resolve("control.sock"), "not a socket");
		this.refused = new AppUnderTest(this.dir.resolve("taken"));
		this.refused.launch((launch) -> launch.args("--server.port=" + this.refused.port(),
				"--zerodowntime.control-socket=" + taken));
		assertThat(this.refused.awaitExit(Duration.ofSeconds(90))).isNotZero();
		assertThat(this.refused.output()).contains("APPLICATION FAILED TO START")
			.contains("Control socket path " + taken + " is taken: it is a regular file, not a socket")
			.contains("Remove it if it is a leftover, or choose another path");
		assertThat(Files.readString(taken)).isEqualTo("not a socket");
	}

	/** A self-signed certificate for 127.0.0.1, made with the JDK's keytool. */
	private Path keyStore() throws IOException, InterruptedException {
		Path keyStore = this.dir.resolve("tls.p12");
		Result made = run(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair",
				"-alias", "app", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost", "-ext",
				"SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12", "-keystore",
				keyStore.toString(), "-storepass", "secret", "-keypass", "secret");
		assertThat(made.code()).as(made.output()).isZero();
		return keyStore;
	}

	static String send(Path socket, String request) throws IOException {
		try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
			channel.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8)));
			ByteArrayOutputStream answer = new ByteArrayOutputStream();
			ByteBuffer in = ByteBuffer.allocate(8192);
			while (channel.read(in) != -1) {
				answer.write(in.array(), 0, in.position());
				in.clear();
			}
			return answer.toString(StandardCharsets.UTF_8);
		}
	}

	private static Result run(String... command) throws IOException, InterruptedException {
		Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
		process.getOutputStream().close();
		String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		if (!process.waitFor(200, TimeUnit.SECONDS)) {
			process.destroyForcibly();
		}
		System.out
			.println("[control] " + Path.of(command[0]).getFileName() + " exit " + process.exitValue() + "\n" + output);
		return new Result(process.exitValue(), output);
	}

	private record Result(int code, String output) {
	}

	/**
	 * Connects to the control socket and asks for the status, again and again, until
	 * closed.
	 */
	private static final class Prober implements AutoCloseable {

		private final AtomicBoolean running = new AtomicBoolean(true);

		private final AtomicLong answered = new AtomicLong();

		private final List<String> failures = new CopyOnWriteArrayList<>();

		private final Thread thread;

		Prober(Path socket) {
			this.thread = new Thread(() -> {
				while (this.running.get()) {
					try {
						String answer = send(socket, "status\n");
						if (answer.contains("\"generation\":")) {
							this.answered.incrementAndGet();
						}
						else {
							this.failures.add("unexpected answer: " + answer);
						}
						Thread.sleep(20);
					}
					catch (IOException ex) {
						this.failures.add(ex.toString());
					}
					catch (InterruptedException ex) {
						return;
					}
				}
			}, "control-prober");
			this.thread.setDaemon(true);
			this.thread.start();
		}

		@Override
		public void close() throws InterruptedException {
			this.running.set(false);
			this.thread.join(30_000);
		}

	}

}
