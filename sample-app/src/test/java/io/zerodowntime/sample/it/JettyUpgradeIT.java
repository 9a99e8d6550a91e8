package io.zerodowntime.sample.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;

import io.zerodowntime.sample.it.AppUnderTest.Handover;
import io.zerodowntime.sample.it.AppUnderTest.Trigger;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static io.zerodowntime.sample.it.AppUnderTest.Trigger.HUP;
import static io.zerodowntime.sample.it.AppUnderTest.Trigger.POST;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sample app on Jetty ({@code sample-jetty}: sample-app's controllers, Tomcat
 * replaced by {@code spring-boot-starter-jetty}) is handed over with the guarantees the
 * Tomcat app has. Plain HTTP: clients of every kind at once (a new connection per request
 * and keep-alive all along, slow requests and an upload started before each trigger) and
 * a connect probe on the main port and on the management port, which runs on a port of
 * its own, through five upgrades: no request fails, no connection is refused, every
 * upgrade succeeds with a new pid serving both ports. TLS with HTTP/2:
 * {@code curl --http2} keeps h2 connections busy with streams through two upgrades, so
 * the old generation's GOAWAY reaches connections with streams open; every stream is
 * answered 200 over HTTP/2.
 *
 * <p>
 * The jar comes from {@code it.jetty.jar} (set by sample-app's failsafe configuration).
 */
class JettyUpgradeIT {

	private static final List<Trigger> SERIES = List.of(HUP, POST, HUP, POST, HUP);

	/** No h2 client runs longer than this, whatever happens. */
	private static final Duration CAP = Duration.ofMinutes(4);

	@TempDir
	Path dir;

	static Path jettyJar() {
		Path jar = Path.of(System.getProperty("it.jetty.jar", "../sample-jetty/target/sample-jetty.jar"))
			.toAbsolutePath()
			.normalize();
		if (!Files.isRegularFile(jar)) {
			throw new IllegalStateException("No Jetty sample jar at " + jar + ": build it first with "
					+ "'mvn -B install -DskipTests -pl sample-jetty -am' (or run 'mvn verify' from the root)");
		}
		return jar;
	}

	@Test
	void everyKindOfClientIsAnsweredThroughFiveUpgradesAndTheManagementPortIsHandedOver() {
		int management = Http.freePort();
		try (AppUnderTest app = AppUnderTest.of(this.dir.resolve("plain"), jettyJar())) {
			app.managementPort(management);
			app.start("--management.server.port=" + management, "--management.server.address=127.0.0.1",
					"--zerodowntime.probation=0");
			app.awaitGeneration(1);
			List<Handover> handovers = new ArrayList<>();
			List<InFlight.Outcome> inFlight = new ArrayList<>();
			try (ClientLoop probe = ClientLoop.probe(app.port());
					ClientLoop managementProbe = ClientLoop.probe(management);
					ClientLoop fresh = ClientLoop.start(app.port(), 2);
					ClientLoop keepAlive = ClientLoop.keepAlive(app.port(), 2)) {
				SoftAssertions softly = new SoftAssertions();
				long seed = 0;
				for (Trigger trigger : SERIES) {
					app.awaitUpgradable();
					int before = app.generation();
					// slow requests (two on a reused connection) and an upload that span
					// the handover: the old generation answers them
					List<InFlight> started = new ArrayList<>();
					IntStream.range(0, 4).forEach((i) -> started.add(InFlight.slow(app.port(), 2000, i % 2 == 1)));
					started
						.add(InFlight.upload(app.port(), 8 * 1024 * 1024, ++seed, Duration.ofMillis(20), () -> true));
					started.forEach((request) -> request.awaitWritten(Duration.ofSeconds(30)));
					Handover handover = app.upgrade(trigger);
					handovers.add(handover);
					// /actuator/upgrade is on the management port: the new generation
					// serves it
					softly.assertThat(app.status().path("pid").asLong())
						.as("pid serving the management port after %s", handover)
						.isEqualTo(handover.newPid());
					for (InFlight request : started) {
						InFlight.Outcome outcome = request.await(Duration.ofSeconds(90));
						inFlight.add(outcome);
						softly.assertThat(outcome.error()).as("%s", outcome).isNull();
						softly.assertThat(outcome.status()).as("%s", outcome).isEqualTo(200);
						softly.assertThat(outcome.generation()).as("%s", outcome).isEqualTo(Integer.toString(before));
					}
				}
				keepAlive.awaitMoreOk(20, Duration.ofSeconds(30));
				fresh.close();
				keepAlive.close();
				probe.close();
				managementProbe.close();
				System.out.println("[jetty] ## handovers: " + handovers);
				System.out.println("[jetty] ## new connection per request: " + fresh.summary());
				System.out.println("[jetty] ## keep-alive: " + keepAlive.summary());
				inFlight.forEach((outcome) -> System.out.println("[jetty] ## in flight: " + outcome));
				System.out.println("[jetty] ## probe: " + probe.summary());
				System.out.println("[jetty] ## management probe: " + managementProbe.summary());
				for (ClientLoop client : List.of(fresh, keepAlive)) {
					softly.assertThat(client.failures()).as("failed requests: %s", client).isEmpty();
					softly.assertThat(client.ok()).as("requests answered: %s", client).isGreaterThan(0);
				}
				softly.assertThat(inFlight).as("slow requests and uploads that spanned a handover").hasSize(25);
				softly.assertThat(keepAlive.servedBy(6))
					.as("keep-alive requests served by generation 6: the clients moved on")
					.isGreaterThan(0);
				softly.assertThat(probe.failures()).as("connections refused on the main port").isEmpty();
				softly.assertThat(managementProbe.failures())
					.as("connections refused on the management port")
					.isEmpty();
				softly.assertThat(handovers).hasSize(5);
				softly.assertThat(handovers.stream().map(Handover::newPid).distinct()).hasSize(5);
				softly.check(() -> assertThat(app.assertOneGenerationServing(6)).isEqualTo(app.pid()));
				softly.check(() -> app.assertNoOrphans(app.pid()));
				softly.check(app::assertNoZombies);
				softly.assertAll();
			}
		}
	}

	@Test
	void tlsWithHttp2IsHandedOverAndStreamsOpenAtTheGoawayAreAnswered() throws Exception {
		Path curl = AppUnderTest.requireTool("/usr/bin/curl", "curl", "the HTTP/2 client of this test");
		Path keyStore = keyStore();
		try (AppUnderTest app = AppUnderTest.of(this.dir.resolve("tls"), jettyJar())) {
			Http.useTls(app.port());
			app.start("--server.ssl.key-store=file:" + keyStore, "--server.ssl.key-store-password=secret",
					"--server.http2.enabled=true", "--zerodowntime.probation=0");
			app.awaitGeneration(1);
			List<Handover> handovers = new ArrayList<>();
			try (ClientLoop probe = ClientLoop.probe(app.port());
					ClientLoop https = ClientLoop.start(app.port(), 1);
					Http2Load h2 = new Http2Load(curl, app.port(), this.dir.resolve("tls"), 2)) {
				for (Trigger trigger : List.of(POST, HUP)) {
					handovers.add(app.upgrade(trigger));
				}
				h2.awaitStreamsFrom(3, Duration.ofSeconds(30));
				h2.close();
				https.close();
				probe.close();
				System.out.println("[jetty-h2] ## handovers: " + handovers);
				System.out.println("[jetty-h2] ## h2: " + h2.summary());
				System.out.println("[jetty-h2] ## https (HTTP/1.1): " + https.summary());
				System.out.println("[jetty-h2] ## probe: " + probe.summary());
				SoftAssertions softly = new SoftAssertions();
				softly.assertThat(h2.failures()).as("h2 streams not answered 200 over HTTP/2").isEmpty();
				softly.assertThat(h2.answeredBy().keySet())
					.as("generations that answered h2 streams")
					.contains("1", "3");
				// two clients each in a curl run nearly all the time: at each of the two
				// drains a run is on the old generation's connection, gets GOAWAY, and
				// finishes on a new connection to the new generation
				softly.assertThat(h2.movedOn()).as("curl runs answered by two generations").isPositive();
				softly.assertThat(https.failures()).as("failed HTTPS requests").isEmpty();
				softly.assertThat(probe.failures()).as("connections refused").isEmpty();
				softly.check(() -> assertThat(app.assertOneGenerationServing(3)).isEqualTo(app.pid()));
				softly.check(() -> app.assertNoOrphans(app.pid()));
				softly.check(app::assertNoZombies);
				softly.assertAll();
			}
		}
	}

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
	 * h2 clients that keep connections busy: each thread runs {@code curl --http2} with
	 * 20 requests for {@code GET /slow?ms=100} on one connection (a new connection only
	 * after a GOAWAY), again and again until closed, each curl bounded in time. Every
	 * response line must be HTTP/2 200.
	 */
	private static final class Http2Load implements AutoCloseable {

		private final AtomicBoolean running = new AtomicBoolean(true);

		private final List<Thread> threads = new ArrayList<>();

		private final List<String> failures = new ArrayList<>();

		private final Map<String, Long> answeredBy = new TreeMap<>();

		/** curl runs whose streams two generations answered. */
		private int movedOn;

		private final Path curl;

		private final int port;

		private final Path dir;

		private final long deadline = System.nanoTime() + CAP.toNanos();

		Http2Load(Path curl, int port, Path dir, int threads) {
			this.curl = curl;
			this.port = port;
			this.dir = dir;
			for (int i = 0; i < threads; i++) {
				int id = i;
				Thread thread = new Thread(() -> run(id), "h2-load-" + i);
				thread.setDaemon(true);
				this.threads.add(thread);
				thread.start();
			}
		}

		private void run(int id) {
			List<String> command = new ArrayList<>(
					List.of(this.curl.toString(), "--silent", "--show-error", "--insecure", "--http2", "--max-time",
							"60", "--write-out", "%{http_version} %{http_code} %header{x-generation}\\n"));
			for (int i = 0; i < 20; i++) {
				// each URL writes its body to the output named with it
				command
					.addAll(List.of("--output", "/dev/null", "https://127.0.0.1:" + this.port + "/slow?ms=100&n=" + i));
			}
			Path output = this.dir.resolve("curl-h2-" + id + ".out");
			while (this.running.get() && System.nanoTime() < this.deadline) {
				try {
					Process process = new ProcessBuilder(command).redirectErrorStream(true)
						.redirectOutput(output.toFile())
						.start();
					if (!process.waitFor(90, TimeUnit.SECONDS)) {
						process.destroyForcibly();
						record(List.of("curl did not end within 90 s"));
						continue;
					}
					List<String> lines = new ArrayList<>(Files.readAllLines(output));
					if (process.exitValue() != 0) {
						lines.add("curl exited " + process.exitValue());
					}
					record(lines);
				}
				catch (IOException ex) {
					record(List.of("curl failed: " + ex));
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					return;
				}
			}
		}

		private synchronized void record(List<String> lines) {
			if (lines.stream()
				.map((line) -> line.strip().split(" "))
				.filter((f) -> f.length == 3)
				.map((f) -> f[2])
				.distinct()
				.count() > 1) {
				// one curl run answered by two generations: it left a connection that got
				// GOAWAY for one the new generation accepted
				this.movedOn++;
			}
			for (String line : lines) {
				String[] fields = line.strip().split(" ");
				if (fields.length == 3 && fields[0].equals("2") && fields[1].equals("200")) {
					this.answeredBy.merge(fields[2], 1L, Long::sum);
				}
				else {
					this.failures.add(line);
				}
			}
		}

		synchronized int movedOn() {
			return this.movedOn;
		}

		synchronized List<String> failures() {
			return List.copyOf(this.failures);
		}

		synchronized Map<String, Long> answeredBy() {
			return new TreeMap<>(this.answeredBy);
		}

		void awaitStreamsFrom(int generation, Duration timeout) {
			org.awaitility.Awaitility.await("h2 streams answered by generation " + generation)
				.atMost(timeout)
				.pollInterval(Duration.ofMillis(100))
				.until(() -> answeredBy().getOrDefault(Integer.toString(generation), 0L) >= 20);
		}

		synchronized String summary() {
			return this.answeredBy + " answered by generation, " + this.failures.size() + " failed, " + this.movedOn
					+ " curl runs moved from one generation to the next";
		}

		@Override
		public void close() {
			this.running.set(false);
			for (Thread thread : this.threads) {
				try {
					thread.join(TimeUnit.SECONDS.toMillis(100));
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					return;
				}
			}
		}

	}

}
