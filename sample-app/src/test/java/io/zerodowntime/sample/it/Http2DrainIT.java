package io.zerodowntime.sample.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * HTTP/2 across handovers ({@code server.http2.enabled=true}): h2c (prior knowledge) on
 * the application's port and h2 over TLS on the management port. {@code h2load} runs
 * against both, one short run after another, across 5 upgrades (3 on Jetty): 0 requests
 * fail. Each run submits all its requests when it connects: h2load does not open a new
 * connection after a GOAWAY, it fails the requests it has yet to send (a browser or an
 * HTTP client library sends them on a new connection). A draining generation sends GOAWAY
 * on each HTTP/2 connection it holds and finishes the streams open on it: shown with
 * {@code nghttp -v} on a stream in flight when the last generation gets SIGTERM. The same
 * on Tomcat (sample-app), on Jetty (sample-jetty, from {@code it.jetty.jar}) and on
 * Reactor Netty (sample-webflux), the last two across 3 upgrades.
 */
@RunsAlone
class Http2DrainIT {

	private static final int UPGRADES = 5;

	private static final int ADAPTER_UPGRADES = 3;

	private static final Pattern REQUESTS = Pattern.compile(
			"requests: (\\d+) total, (\\d+) started, (\\d+) done, (\\d+) succeeded, (\\d+) failed, (\\d+) errored, "
					+ "(\\d+) timeout");

	private static final Pattern STATUS_CODES = Pattern
		.compile("status codes: (\\d+) 2xx, (\\d+) 3xx, (\\d+) 4xx, (\\d+) 5xx");

	@TempDir
	Path dir;

	private AppUnderTest app;

	private final List<Process> clients = new CopyOnWriteArrayList<>();

	@AfterEach
	void stopEverything() {
		this.clients.stream().filter(Process::isAlive).forEach(Process::destroyForcibly);
		if (this.app != null) {
			this.app.close();
		}
	}

	@Test
	void h2AndH2cClientsSeeNoFailureAcrossFiveUpgradesAndADrainSendsGoawayAndFinishesOpenStreams() throws Exception {
		this.app = new AppUnderTest(this.dir.resolve("app"));
		http2AcrossUpgrades("Tomcat", UPGRADES);
	}

	/**
	 * The same on Jetty (sample-jetty, from {@code it.jetty.jar}), across fewer upgrades:
	 * the adapter's drain is the same for every handover.
	 */
	@Test
	void onJettyH2AndH2cClientsSeeNoFailureAndADrainSendsGoawayAndFinishesOpenStreams() throws Exception {
		this.app = AppUnderTest.of(this.dir.resolve("app"), JettyUpgradeIT.jettyJar());
		http2AcrossUpgrades("Jetty", ADAPTER_UPGRADES);
	}

	/** The same on Reactor Netty (sample-webflux), across fewer upgrades. */
	@Test
	void onWebFluxH2AndH2cClientsSeeNoFailureAndADrainSendsGoawayAndFinishesOpenStreams() throws Exception {
		this.app = AppUnderTest.of(this.dir.resolve("webflux"), WebFluxUpgradeIT.webfluxJar());
		http2AcrossUpgrades("Reactor Netty", ADAPTER_UPGRADES);
	}

	private void http2AcrossUpgrades(String server, int upgrades) throws Exception {
		Path h2load = AppUnderTest.requireTool("h2load", "nghttp2-client", "the HTTP/2 drain test's load client");
		Path nghttp = AppUnderTest.requireTool("nghttp", "nghttp2-client", "the HTTP/2 drain test's frame log");
		Path keyStore = keyStore();
		int management = Http.freePort();
		this.app.start("--server.http2.enabled=true", "--management.server.port=" + management,
				"--management.server.address=127.0.0.1", "--management.server.ssl.key-store=file:" + keyStore,
				"--management.server.ssl.key-store-password=secret", "--zerodowntime.probation=0",
				"--zerodowntime.drain-timeout=10s", "--zerodowntime.upgrade-timeout=120s");
		this.app.awaitGeneration(1);

		List<String> handovers = new ArrayList<>();
		Load h2 = new Load(h2load, "https://127.0.0.1:" + management + "/actuator/health");
		Load h2c = new Load(h2load, "http://127.0.0.1:" + this.app.port() + "/slow?ms=200");
		try {
			await("both loads to complete a run").atMost(Duration.ofSeconds(60))
				.pollInterval(Duration.ofMillis(200))
				.until(() -> h2.runs() > 0 && h2c.runs() > 0);
			// the actuator is on the management port: AppUnderTest.upgrade would look for
			// it
			// on the application's port
			for (int i = 0; i < upgrades; i++) {
				this.app.awaitUpgradable();
				long old = this.app.pid();
				long t0 = System.nanoTime();
				Procfs.signal(old, "HUP");
				this.app.awaitGeneration(this.app.generation() + 1);
				long serving = System.nanoTime() - t0;
				Procfs.awaitGone(old, Duration.ofSeconds(60));
				handovers.add(String.format("gen %d: serving after %d ms, pid %d gone after %d ms",
						this.app.generation(), serving / 1_000_000, old, (System.nanoTime() - t0) / 1_000_000));
			}
		}
		finally {
			h2.stop();
			h2c.stop();
		}
		System.out.println(
				"[figures] " + server + ", h2load across " + upgrades + " upgrades: h2 (TLS) " + h2 + "; h2c " + h2c);
		for (Load load : List.of(h2, h2c)) {
			assertThat(load.failed + load.errored + load.timeout).as("%s", load).isZero();
			assertThat(load.non2xx).as("%s", load).isZero();
			assertThat(load.succeeded).as("%s", load).isPositive();
			assertThat(load.problems).as("%s", load).isEmpty();
		}
		handovers.forEach((handover) -> System.out.println("[figures] " + server + ": " + handover));

		// a stream open when the generation starts draining
		long last = this.app.pid();
		Process frames = new ProcessBuilder(nghttp.toString(), "-nv", "--timeout=60",
				"http://127.0.0.1:" + this.app.port() + "/slow?ms=3000")
			.redirectErrorStream(true)
			.start();
		this.clients.add(frames);
		StringBuilder log = new StringBuilder();
		Thread reader = drain(frames.getInputStream(), log);
		await("nghttp to send its request").atMost(Duration.ofSeconds(30))
			.pollInterval(Duration.ofMillis(20))
			.until(() -> snapshot(log).contains("send HEADERS frame"));
		AppUnderTest.sleep(300);
		Procfs.signal(last, "TERM");
		assertThat(frames.waitFor(60, TimeUnit.SECONDS)).as("nghttp exited").isTrue();
		reader.join(5000);
		String output = snapshot(log);
		System.out.println("[nghttp] " + server + "\n[nghttp] " + output.replace("\n", "\n[nghttp] "));
		int goaway = output.indexOf("recv GOAWAY frame");
		int status = output.indexOf(":status: 200");
		assertThat(goaway).as("a GOAWAY from the draining generation, in:\n%s", output).isNotNegative();
		assertThat(status).as("the open stream answered after the GOAWAY, in:\n%s", output).isGreaterThan(goaway);
		assertThat(output).contains("error_code=NO_ERROR");
		assertThat(frames.exitValue()).as(output).isZero();
		Procfs.awaitGone(last, Duration.ofSeconds(30));
		this.app.assertNoOrphans(-1);
	}

	/**
	 * {@code h2load} against one URL, one short run after another (2 connections, 20
	 * concurrent streams each), until stopped.
	 */
	private final class Load {

		private final Path h2load;

		private final String url;

		private final Thread thread;

		private volatile boolean running = true;

		private int runs;

		private long total;

		private long succeeded;

		private long failed;

		private long errored;

		private long timeout;

		private long non2xx;

		private final List<String> problems = new ArrayList<>();

		Load(Path h2load, String url) {
			this.h2load = h2load;
			this.url = url;
			this.thread = new Thread(this::run, "h2load " + url);
			this.thread.setDaemon(true);
			this.thread.start();
		}

		private void run() {
			long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
			while (this.running && System.nanoTime() < deadline) {
				String output;
				try {
					// every request submitted when the connection opens: h2load fails the
					// requests it has yet to submit on a connection that got a GOAWAY
					// instead of opening a new one
					Process process = new ProcessBuilder(this.h2load.toString(), "-n", "40", "-c", "2", "-m", "20",
							this.url)
						.redirectErrorStream(true)
						.start();
					Http2DrainIT.this.clients.add(process);
					output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
					if (!process.waitFor(60, TimeUnit.SECONDS)) {
						process.destroyForcibly();
						record("h2load did not end: " + output);
						continue;
					}
				}
				catch (IOException ex) {
					record("h2load failed to run: " + ex);
					return;
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					return;
				}
				add(output);
				AppUnderTest.sleep(250);
			}
		}

		private synchronized void add(String output) {
			Matcher requests = REQUESTS.matcher(output);
			Matcher codes = STATUS_CODES.matcher(output);
			if (!requests.find() || !codes.find()) {
				this.problems.add("no summary from h2load: " + output);
				return;
			}
			this.runs++;
			this.total += Long.parseLong(requests.group(1));
			this.succeeded += Long.parseLong(requests.group(4));
			long failed = Long.parseLong(requests.group(5));
			this.failed += failed;
			this.errored += Long.parseLong(requests.group(6));
			this.timeout += Long.parseLong(requests.group(7));
			long non2xx = Long.parseLong(codes.group(2)) + Long.parseLong(codes.group(3))
					+ Long.parseLong(codes.group(4));
			this.non2xx += non2xx;
			if (failed > 0 || non2xx > 0) {
				System.out.println("[h2load] run with failures against " + this.url + ":\n" + output);
			}
		}

		private synchronized void record(String problem) {
			this.problems.add(problem);
		}

		synchronized int runs() {
			return this.runs;
		}

		void stop() throws InterruptedException {
			this.running = false;
			this.thread.join(TimeUnit.SECONDS.toMillis(90));
		}

		@Override
		public synchronized String toString() {
			return this.runs + " runs, " + this.total + " requests, " + this.succeeded + " succeeded, " + this.failed
					+ " failed, " + this.errored + " errored, " + this.timeout + " timed out, " + this.non2xx
					+ " not 2xx" + (this.problems.isEmpty() ? "" : ", problems: " + this.problems);
		}

	}

	private static Thread drain(InputStream in, StringBuilder log) {
		Thread reader = new Thread(() -> {
			byte[] buffer = new byte[8192];
			int read;
			try {
				while ((read = in.read(buffer)) != -1) {
					synchronized (log) {
						log.append(new String(buffer, 0, read, StandardCharsets.UTF_8));
					}
				}
			}
			catch (IOException ex) {
				// the process ended
			}
		}, "nghttp-output");
		reader.setDaemon(true);
		reader.start();
		return reader;
	}

	private static String snapshot(StringBuilder log) {
		synchronized (log) {
			return log.toString();
		}
	}

	/** A self-signed certificate for 127.0.0.1, made with the JDK's keytool. */
	private Path keyStore() {
		Path keyStore = this.dir.resolve("tls.p12");
		try {
			AppUnderTest.run(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair",
					"-alias", "app", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost", "-ext",
					"SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12", "-keystore",
					keyStore.toString(), "-storepass", "secret", "-keypass", "secret");
		}
		catch (UncheckedIOException ex) {
			throw new AssertionError("keytool failed", ex);
		}
		return keyStore;
	}

}
