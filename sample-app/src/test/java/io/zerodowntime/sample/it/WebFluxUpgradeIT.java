package io.zerodowntime.sample.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import io.zerodowntime.sample.it.AppUnderTest.Trigger;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import static io.zerodowntime.sample.it.AppUnderTest.Trigger.HUP;
import static io.zerodowntime.sample.it.AppUnderTest.Trigger.POST;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The WebFlux sample (Reactor Netty, {@code sample-webflux}: the sample app's endpoints
 * and headers) keeps the product's promise: five upgrades in a row, by SIGHUP and by
 * {@code POST /actuator/upgrade} in turn, under every kind of client at once (wrk on
 * keep-alive connections, a new connection per request, slow requests and uploads started
 * before each trigger, a connect probe), and nothing fails; then HTTPS with HTTP/2 (curl,
 * one multiplexed connection, GOAWAY on drain) and the management server on its own port
 * are handed over through a probation. On both ports a cross-site {@code POST
 * /actuator/upgrade} (a form, or no content type) is answered 415 and upgrades nothing.
 *
 * <p>
 * The jar comes from the system property {@code it.webflux.jar} (set by the failsafe
 * configuration); a missing jar fails with the command that builds it. Everything listens
 * on 127.0.0.1; every client is bounded in time; processes are stopped by pid.
 */
class WebFluxUpgradeIT {

	private static final List<Trigger> SERIES = List.of(HUP, POST, HUP, POST, HUP);

	/** No load runs longer than this, whatever happens. */
	private static final Duration CAP = Duration.ofMinutes(4);

	@TempDir
	Path dir;

	@BeforeAll
	static void tools() {
		AppUnderTest.requireTool("wrk", "wrk", "the WebFlux load check drives keep-alive connections with wrk");
		AppUnderTest.requireTool("curl", "curl", "the WebFlux HTTP/2 check speaks h2 with curl");
	}

	/** Return the WebFlux sample's jar, or fail with how to build it. */
	static Path webfluxJar() {
		Path jar = Path.of(System.getProperty("it.webflux.jar", "../sample-webflux/target/sample-webflux.jar"))
			.toAbsolutePath()
			.normalize();
		if (!Files.isRegularFile(jar)) {
			throw new IllegalStateException("No WebFlux sample jar at " + jar
					+ ": build it first with 'mvn -B -pl sample-webflux -am install -DskipTests'");
		}
		return jar;
	}

	@Test
	void everyKindOfClientThroughFiveUpgrades() throws Exception {
		AppUnderTest app = AppUnderTest.of(this.dir.resolve("load"), webfluxJar());
		List<Answered> answered = new ArrayList<>();
		try (app) {
			app.start((launch) -> launch.jvmArgs("-Xmx256m"), "--zerodowntime.probation=0",
					"--zerodowntime.upgrade-timeout=120s");
			app.awaitGeneration(1);
			int port = app.port();
			refusesCrossSitePosts(app, port, 1);
			try (ClientLoop probe = ClientLoop.probe(port);
					ClientLoop fresh = ClientLoop.start(port, 2);
					ExternalLoad wrk = ExternalLoad.wrk(this.dir, "wrk-webflux", port, 4, 10, true, CAP)) {
				TimeUnit.SECONDS.sleep(1);
				long seed = 0;
				for (Trigger trigger : SERIES) {
					app.awaitUpgradable();
					int before = app.generation();
					List<InFlight> started = new ArrayList<>();
					IntStream.range(0, 4).forEach((i) -> started.add(InFlight.slow(port, 2000, i % 2 == 1)));
					started.add(InFlight.upload(port, 8 * 1024 * 1024, ++seed, Duration.ofMillis(20), () -> true));
					started.forEach((request) -> request.awaitWritten(Duration.ofSeconds(30)));
					app.upgrade(trigger);
					for (InFlight request : started) {
						answered.add(new Answered(request.await(Duration.ofSeconds(90)), Set.of(before)));
					}
				}
				TimeUnit.SECONDS.sleep(1);
				probe.close();
				fresh.close();
				ExternalLoad.Result keepAlive = wrk.result();
				int successes = app.handovers().size();
				System.out.println("[webflux] ## handovers: " + app.handovers());
				System.out.println("[webflux] ## " + keepAlive.summary());
				System.out.println("[webflux] ## new connection per request: " + fresh);
				System.out.println("[webflux] ## probe: " + probe);
				answered.forEach((answer) -> System.out.println("[in-flight] " + answer.outcome()));
				SoftAssertions softly = new SoftAssertions();
				softly.assertThat(successes).as("upgrades that succeeded").isEqualTo(SERIES.size());
				softly.assertThat(keepAlive.requests()).as("wrk: requests").isGreaterThan(100);
				softly.assertThat(keepAlive.errors().values().stream().mapToLong(Long::longValue).sum())
					.as("wrk: failed requests, by kind %s", keepAlive.errors())
					.isZero();
				softly.assertThat(keepAlive.non2xx()).as("wrk: responses outside 2xx").isZero();
				softly.assertThat(keepAlive.generations().keySet())
					.as("wrk: generations that served it")
					.containsAll(IntStream.rangeClosed(1, successes + 1).boxed().toList());
				softly.assertThat(fresh.failures()).as("new connection per request: failures").isEmpty();
				softly.assertThat(fresh.ok()).as("new connection per request: answered").isGreaterThan(100);
				softly.assertThat(probe.failures()).as("connections the probe could not make").isEmpty();
				for (Answered answer : answered) {
					InFlight.Outcome outcome = answer.outcome();
					softly.assertThat(outcome.error()).as("%s", outcome).isNull();
					softly.assertThat(outcome.status()).as("%s", outcome).isEqualTo(200);
					softly.assertThat(outcome.generation())
						.as("%s: answered by generation %s", outcome, answer.by())
						.isIn(answer.by().stream().map(String::valueOf).toList());
				}
				softly.assertThat(app.status().path("generation").asInt())
					.as("generation serving")
					.isEqualTo(successes + 1);
				softly.check(() -> assertThat(app.assertOneGenerationServing(successes + 1))
					.as("the only generation left is the one followed")
					.isEqualTo(app.pid()));
				softly.check(() -> app.assertNoOrphans(app.pid()));
				softly.check(app::assertNoZombies);
				softly.assertAll();
			}
		}
	}

	@Test
	void httpsWithHttp2AndTheManagementPortAreHandedOverThroughAProbation() throws Exception {
		AppUnderTest app = AppUnderTest.of(this.dir.resolve("h2"), webfluxJar());
		int management = Http.freePort();
		Path keyStore = keyStore();
		try (app) {
			Http.useTls(app.port());
			app.start((launch) -> launch.jvmArgs("-Xmx256m"), "--server.ssl.key-store=file:" + keyStore,
					"--server.ssl.key-store-password=secret", "--server.http2.enabled=true",
					"--management.server.port=" + management, "--management.server.ssl.enabled=false",
					"--zerodowntime.upgrade-timeout=120s");
			long first = app.awaitGeneration(1);
			JsonNode before = managementStatus(management);
			assertThat(before.path("pid").asLong()).isEqualTo(first);
			Path curlLog = this.dir.resolve("curl-h2.log");
			try (ClientLoop probe = ClientLoop.probe(app.port());
					ClientLoop tls = ClientLoop.start(app.port(), 1);
					Curl h2 = Curl.h2(app.port(), curlLog)) {
				TimeUnit.SECONDS.sleep(1);
				Procfs.signal(first, "HUP");
				long second = app.awaitGeneration(2);
				Procfs.awaitGone(first, Duration.ofSeconds(90));
				TimeUnit.SECONDS.sleep(1);
				probe.close();
				tls.close();
				h2.close();
				JsonNode after = managementStatus(management);
				refusesCrossSitePosts(app, management, 2);
				Map<String, Integer> outcomes = Curl.outcomes(curlLog);
				System.out.println("[webflux-h2] ## h2 requests by version, status and pid: " + outcomes);
				System.out.println("[webflux-h2] ## HTTPS, a new connection per request: " + tls);
				System.out.println("[webflux-h2] ## probe: " + probe);
				System.out.println("[webflux-h2] ## management after: " + after);
				SoftAssertions softly = new SoftAssertions();
				softly.assertThat(outcomes.keySet())
					.as("every h2 request: HTTP/2, 200, by the first or the second generation")
					.allMatch((key) -> key.equals("2 200 " + first) || key.equals("2 200 " + second));
				softly.assertThat(outcomes).as("h2 answers by the first generation").containsKey("2 200 " + first);
				softly.assertThat(outcomes).as("h2 answers by the second generation").containsKey("2 200 " + second);
				softly.assertThat(tls.failures()).as("HTTPS, new connection per request: failures").isEmpty();
				softly.assertThat(probe.failures()).as("connections the probe could not make").isEmpty();
				softly.assertThat(after.path("pid").asLong()).as("the management port's generation").isEqualTo(second);
				softly.assertThat(after.path("listeners").toString())
					.as("listeners of generation 2")
					.contains("\"name\":\"management\"")
					.contains("\"port\":" + management);
				softly.assertThat(after.path("listeners"))
					.as("every listener of generation 2 was handed over")
					.allMatch((listener) -> listener.path("inherited").asBoolean());
				softly.check(() -> app.assertNoOrphans(app.pid()));
				softly.assertAll();
			}
		}
	}

	/**
	 * A form post and a bare POST to the upgrade endpoint, as a page open in a browser
	 * can send them without a CORS preflight: answered 415 with the reason, as on Tomcat
	 * ({@code ControlChannelIT}), and nothing is upgraded.
	 */
	private static void refusesCrossSitePosts(AppUnderTest app, int port, int generation) {
		long starts = app.count("is starting generation");
		Http.Response form = Http.post(port, "/actuator/upgrade", "application/x-www-form-urlencoded",
				Duration.ofSeconds(30));
		Http.Response bare = Http.post(port, "/actuator/upgrade", null, Duration.ofSeconds(30));
		System.out.println("[webflux] ## form-encoded POST /actuator/upgrade on port " + port + ": " + form.status()
				+ " " + form.text());
		assertThat(form.status()).as("form-encoded POST /actuator/upgrade: %s", form).isEqualTo(415);
		assertThat(form.text())
			.contains("needs 'Content-Type: application/json' (got 'application/x-www-form-urlencoded')");
		assertThat(bare.status()).as("POST /actuator/upgrade without a content type: %s", bare).isEqualTo(415);
		assertThat(bare.text()).contains("(got none)");
		assertThat(app.count("is starting generation")).as("upgrades started by the refused POSTs").isEqualTo(starts);
		assertThat(managementStatus(port).path("generation").asInt()).as("generation serving").isEqualTo(generation);
	}

	private static JsonNode managementStatus(int management) {
		Http.Response response = Http.get(management, "/actuator/upgrade", Duration.ofSeconds(20));
		assertThat(response.status()).as("GET /actuator/upgrade on the management port: %s", response).isEqualTo(200);
		return AppUnderTest.json(response);
	}

	/** A self-signed certificate for 127.0.0.1, made with the JDK's keytool. */
	private Path keyStore() throws IOException, InterruptedException {
		Path keyStore = this.dir.resolve("tls.p12");
		Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
				"-genkeypair", "-alias", "app", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
				"-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12", "-keystore",
				keyStore.toString(), "-storepass", "secret", "-keypass", "secret")
			.redirectErrorStream(true)
			.start();
		String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).as("keytool ended").isTrue();
		assertThat(keytool.exitValue()).as(output).isZero();
		return keyStore;
	}

	/**
	 * A request that spanned a trigger, and the generations that may have answered it.
	 *
	 * @param outcome what came back
	 * @param by the generations
	 */
	private record Answered(InFlight.Outcome outcome, Set<Integer> by) {

	}

	/**
	 * curl sending {@code GET /} over HTTP/2 on one connection, 20 requests a second, at
	 * most 4,000 and for at most four minutes, one line per request ({@code version
	 * status pid}, {@code 0 000 -} when it failed); after a GOAWAY curl opens a new
	 * connection for the next request. Stopped by its pid.
	 */
	private static final class Curl implements AutoCloseable {

		private final Process process;

		private Curl(Process process) {
			this.process = process;
		}

		static Curl h2(int port, Path log) throws IOException {
			// line-buffered, so every line is in the log when curl is stopped
			List<String> command = new ArrayList<>(List.of("stdbuf", "-oL", "curl", "-sk", "--http2", "--max-time",
					"240", "--rate", "20/s", "-w", "%{http_version} %{http_code} %header{x-pid}\\n"));
			String url = "https://127.0.0.1:" + port + "/";
			for (int i = 0; i < 4000; i++) {
				command.addAll(List.of("-o", "/dev/null", url));
			}
			Process process = new ProcessBuilder(command).redirectErrorStream(true)
				.redirectOutput(log.toFile())
				.start();
			System.out.println("[webflux-h2] ## curl h2 pid " + process.pid());
			return new Curl(process);
		}

		static Map<String, Integer> outcomes(Path log) throws IOException {
			Map<String, Integer> outcomes = new TreeMap<>();
			List<String> lines = Files.readAllLines(log);
			for (int i = 0; i < lines.size(); i++) {
				String key = lines.get(i).trim();
				if (!key.startsWith("2 200 ")) {
					System.out
						.println("[webflux-h2] ## request " + (i + 1) + " of " + lines.size() + ": '" + key + "'");
				}
				outcomes.merge(key, 1, Integer::sum);
			}
			return outcomes;
		}

		@Override
		public void close() throws InterruptedException {
			this.process.destroy();
			if (!this.process.waitFor(10, TimeUnit.SECONDS)) {
				this.process.destroyForcibly();
			}
		}

	}

}
