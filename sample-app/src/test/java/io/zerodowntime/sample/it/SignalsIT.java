package io.zerodowntime.sample.it;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Signals and concurrency, each under a client load: a storm of SIGHUPs and a storm of
 * concurrent POSTs run exactly one upgrade; SIGTERM to the old generation during an
 * upgrade stops the unready new one and exits 0; SIGKILL of the old generation during an
 * upgrade leaves the new one to take over without the port ever closing; SIGKILL of the
 * new generation before it is ready fails the upgrade and the old one serves on.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SignalsIT {

	private static final int CLIENTS = 3;

	@TempDir
	Path dir;

	private AppUnderTest app;

	@BeforeEach
	void prepare() {
		this.app = new AppUnderTest(this.dir);
	}

	@AfterEach
	void stopEverything() {
		this.app.close();
	}

	/**
	 * Wait until a new {@code java} process runs the jar copy, a generation that is not
	 * ready yet, and has got as far as Spring Boot's first log line.
	 */
	private long awaitNewGenerationBooting(long gen1) {
		long child = await("a new java process running " + this.app.jar()).atMost(Duration.ofSeconds(30))
			.pollInterval(Duration.ofMillis(20))
			.until(() -> Procfs.javaPids(this.app.jar()).stream().filter((p) -> p != gen1).findFirst().orElse(null),
					Objects::nonNull);
		this.app.awaitLog("Starting SampleApplication using Java .* with PID " + child + " ", AppUnderTest.STARTUP);
		return child;
	}

	@Test
	void twentySighupsWithinOneSecondRunExactlyOneUpgrade() {
		this.app.start();
		long gen1 = this.app.awaitServing(1);
		AppUnderTest.Snapshot fresh = this.app.baseline(gen1);
		ClientLoop load = ClientLoop.start(this.app.port(), CLIENTS);
		try {
			load.awaitMoreOk(20, Duration.ofSeconds(30));
			// bash's kill builtin, 20 signals 20 ms apart (read -t on an idle FIFO waits
			// without a fork)
			Path fifo = this.dir.resolve("pace");
			AppUnderTest.run("mkfifo", fifo.toString());
			String times = AppUnderTest.run("/bin/bash", "-c",
					"exec 9<>\"$2\"; start=$EPOCHREALTIME; for i in {1..20}; do kill -HUP \"$1\" || exit 1; "
							+ "if [ $i -lt 20 ]; then read -t 0.02 -u 9; fi; done; echo \"$start $EPOCHREALTIME\"",
					"bash", Long.toString(gen1), fifo.toString());
			String[] startEnd = times.trim().split(" ");
			long millis = Math.round((Double.parseDouble(startEnd[1]) - Double.parseDouble(startEnd[0])) * 1000);
			System.out.println("[fault] 20 SIGHUPs sent within " + millis + " ms");
			assertThat(millis).as("time from the first SIGHUP to the 20th").isLessThan(1000);
			long gen2 = this.app.awaitServing(2);
			assertThat(this.app.awaitExit(Duration.ofSeconds(60))).as("exit code of generation 1").isZero();
			load.awaitMoreOk(20, Duration.ofSeconds(30));
			assertThat(this.app.javaPidsSeen()).as("java processes ever started").containsExactlyInAnyOrder(gen1, gen2);
		}
		finally {
			load.close();
		}
		long started = this.app.count("Generation 1 \\(pid " + gen1 + "\\) is starting generation 2");
		long refused = this.app.count("Generation 1 \\(pid " + gen1
				+ "\\) refused an upgrade \\(trigger: SIGHUP.*\\): an upgrade is already in progress \\(new generation pid \\d+\\)");
		System.out.println("[fault] SIGHUP storm: " + started + " upgrade started, " + refused
				+ " refused (signals that arrive while one is pending are merged by the kernel)");
		assertThat(started).as("upgrades started").isEqualTo(1);
		assertThat(refused).as("SIGHUPs refused with a reason").isBetween(1L, 19L);
		assertThat(this.app.count("is starting generation 3")).isZero();
		this.app.assertEndState(load, 2, fresh);
	}

	@Test
	void tenConcurrentPostsRunExactlyOneUpgrade() throws Exception {
		this.app.start();
		long gen1 = this.app.awaitServing(1);
		AppUnderTest.Snapshot fresh = this.app.baseline(gen1);
		ClientLoop load = ClientLoop.start(this.app.port(), CLIENTS);
		List<Http.Response> responses = new ArrayList<>();
		ExecutorService posters = Executors.newFixedThreadPool(10);
		try {
			load.awaitMoreOk(20, Duration.ofSeconds(30));
			CyclicBarrier barrier = new CyclicBarrier(10);
			List<Future<Http.Response>> futures = new ArrayList<>();
			for (int i = 0; i < 10; i++) {
				futures.add(posters.submit(() -> {
					barrier.await(10, TimeUnit.SECONDS);
					return this.app.postUpgrade();
				}));
			}
			for (Future<Http.Response> future : futures) {
				responses.add(future.get(150, TimeUnit.SECONDS));
			}
			long gen2 = this.app.awaitServing(2);
			assertThat(this.app.awaitExit(Duration.ofSeconds(60))).as("exit code of generation 1").isZero();
			load.awaitMoreOk(20, Duration.ofSeconds(30));
			assertThat(this.app.javaPidsSeen()).as("java processes ever started").containsExactlyInAnyOrder(gen1, gen2);
		}
		finally {
			posters.shutdownNow();
			load.close();
		}
		responses.forEach((r) -> System.out.println("[fault] concurrent POST: " + r.status() + " " + r.text()));
		assertThat(responses).filteredOn((r) -> r.status() == 200).as("POSTs answered 200").hasSize(1);
		assertThat(AppUnderTest.json(responses.stream().filter((r) -> r.status() == 200).findFirst().orElseThrow())
			.get("generation")
			.asInt()).isEqualTo(2);
		assertThat(responses).filteredOn((r) -> r.status() == 409).as("POSTs answered 409").hasSize(9);
		for (Http.Response refusal : responses.stream().filter((r) -> r.status() == 409).toList()) {
			JsonNode body = AppUnderTest.json(refusal);
			assertThat(body.get("outcome").asString()).isEqualTo("REFUSED");
			assertThat(body.get("reason").asString()).as("reason of a refused POST")
				.containsAnyOf("an upgrade is already in progress", "has already been upgraded");
		}
		assertThat(this.app.count("Generation 1 \\(pid " + gen1 + "\\) is starting generation 2")).isEqualTo(1);
		this.app.assertEndState(load, 2, fresh);
	}

	@Test
	void sigtermToTheOldGenerationDuringAnUpgradeStopsTheUnreadyOneAndExitsZero() throws Exception {
		this.app.start();
		long gen1 = this.app.awaitServing(1);
		this.app.baseline(gen1);
		this.app.configureNextGeneration("sample.hang-on-start=true");
		ClientLoop load = ClientLoop.start(this.app.port(), CLIENTS);
		CompletableFuture<Http.Response> post;
		long child;
		try {
			load.awaitMoreOk(20, Duration.ofSeconds(30));
			post = CompletableFuture.supplyAsync(this.app::postUpgrade);
			child = awaitNewGenerationBooting(gen1);
			AppUnderTest.sleep(500);
			assertThat(post).as("POST /actuator/upgrade while the new generation hangs").isNotDone();
			assertThat(this.app.status().get("state").asString()).isEqualTo("UPGRADING");
		}
		finally {
			// after SIGTERM with no successor the port closes: the load stops before it
			load.close();
		}
		System.out.println("[fault] load: " + load.summary());
		assertThat(load.failures()).as("failed client requests before SIGTERM").isEmpty();
		// a request in flight when SIGTERM arrives (an upload whose body is not all sent
		// yet) must be answered
		String answered;
		try (Socket upload = new Socket()) {
			upload.connect(new InetSocketAddress(Http.HOST, this.app.port()), 10_000);
			upload.setSoTimeout(60_000);
			OutputStream out = upload.getOutputStream();
			out.write(("POST /upload HTTP/1.1\r\nHost: " + Http.HOST + "\r\nConnection: close\r\n"
					+ "Content-Type: application/octet-stream\r\nContent-Length: 8\r\n\r\nhalf")
				.getBytes(StandardCharsets.US_ASCII));
			out.flush();
			AppUnderTest.sleep(300);
			Procfs.signal(gen1, "TERM");
			AppUnderTest.sleep(500);
			out.write("done".getBytes(StandardCharsets.US_ASCII));
			out.flush();
			answered = new String(upload.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		}
		assertThat(this.app.awaitExit(Duration.ofSeconds(60))).as("exit code of generation 1").isZero();
		String sha256 = HexFormat.of()
			.formatHex(MessageDigest.getInstance("SHA-256").digest("halfdone".getBytes(StandardCharsets.US_ASCII)));
		assertThat(answered).as("upload in flight at SIGTERM")
			.startsWith("HTTP/1.1 200")
			.contains("8 " + sha256)
			.contains("X-Pid: " + gen1);
		Http.Response answer = post.get(30, TimeUnit.SECONDS);
		System.out.println("[fault] POST /actuator/upgrade answered " + answer.status() + " " + answer.text());
		assertThat(answer.status()).as("POST /actuator/upgrade: %s", answer).isEqualTo(500);
		assertThat(AppUnderTest.json(answer).get("reason").asString()).as("reason of the failed upgrade")
			.isEqualTo("this generation was told to stop during the upgrade");
		this.app.awaitLog("Generation 1 \\(pid " + gen1
				+ "\\): stopping the new generation that is not ready yet \\(pid " + child + "\\)",
				Duration.ofSeconds(5));
		this.app.awaitLog("Generation 1 \\(pid " + gen1 + "\\) exiting", Duration.ofSeconds(5));
		await("the unready new generation (pid " + child + ") to be gone").atMost(Duration.ofSeconds(15))
			.until(() -> !Procfs.running(child));
		this.app.assertNoOrphans(-1);
		assertThat(Procfs.javaPids(this.app.jar())).as("java processes left").isEmpty();
		assertThat(Procfs.listeners(this.app.port())).as("listeners left on the port").isEmpty();
		this.app.assertNoZombies();
		assertThat(this.app.javaPidsSeen()).as("java processes ever started").containsExactlyInAnyOrder(gen1, child);
	}

	@Test
	void sigkillOfTheOldGenerationDuringAnUpgradeLeavesTheNewOneServing() {
		this.app.start();
		long gen1 = this.app.awaitServing(1);
		AppUnderTest.Snapshot fresh = this.app.baseline(gen1);
		ClientLoop load = ClientLoop.start(this.app.port(), CLIENTS);
		long child;
		long killedAt;
		try {
			load.awaitMoreOk(20, Duration.ofSeconds(30));
			Procfs.signal(gen1, "HUP");
			child = awaitNewGenerationBooting(gen1);
			assertThat(this.app.status().get("state").asString()).as("state of generation 1").isEqualTo("UPGRADING");
			Procfs.signal(gen1, "KILL");
			assertThat(this.app.awaitExit(Duration.ofSeconds(30))).as("exit status of generation 1").isEqualTo(128 + 9);
			// a request that started before this may have been accepted by the killed
			// process
			killedAt = System.nanoTime();
			long gen2 = this.app.awaitServing(2);
			assertThat(gen2).isEqualTo(child);
			load.awaitMoreOk(20, Duration.ofSeconds(30));
		}
		finally {
			load.close();
		}
		System.out.println("[fault] load: " + load.summary());
		load.failures().forEach((f) -> System.out.println("[fault] failure: " + f));
		// SIGKILL loses the requests the killed process had accepted (at most one per
		// client, each started before it
		// was gone); nothing else may fail
		assertThat(load.failures()).as("failures other than the requests in flight in the killed generation")
			.allSatisfy((f) -> {
				assertThat(f.kind()).isIn(ClientLoop.Kind.RESET, ClientLoop.Kind.CLOSED);
				assertThat(f.startNanos()).isLessThan(killedAt);
			});
		assertThat(load.failures()).as("failed requests").hasSizeLessThanOrEqualTo(CLIENTS);
		assertThat(load.failures()).as("refused connections (the port closed)")
			.noneMatch((f) -> f.kind() == ClientLoop.Kind.REFUSED);
		this.app.awaitLog("Previous generation \\(pid " + gen1 + "\\) has exited", Duration.ofSeconds(5));
		this.app.awaitLog("Generation 2 \\(pid " + child + "\\) is ready", Duration.ofSeconds(5));
		JsonNode status = this.app.status();
		assertThat(status.get("generation").asInt()).isEqualTo(2);
		assertThat(status.get("parentPid").asLong()).isEqualTo(gen1);
		assertThat(status.get("state").asString()).isEqualTo("SERVING");
		long serving = this.app.assertOneGenerationServing(2);
		this.app.assertNoOrphans(serving);
		this.app.assertNoZombies();
		this.app.assertFds(fresh, serving);
	}

	@Test
	void sigkillOfTheNewGenerationBeforeItIsReadyFailsTheUpgrade() throws Exception {
		this.app.start();
		long gen1 = this.app.awaitServing(1);
		AppUnderTest.Snapshot fresh = this.app.baseline(gen1);
		ClientLoop load = ClientLoop.start(this.app.port(), CLIENTS);
		long child;
		Http.Response answer;
		try {
			load.awaitMoreOk(20, Duration.ofSeconds(30));
			CompletableFuture<Http.Response> post = CompletableFuture.supplyAsync(this.app::postUpgrade);
			child = awaitNewGenerationBooting(gen1);
			Procfs.signal(child, "KILL");
			answer = post.get(60, TimeUnit.SECONDS);
			load.awaitMoreOk(20, Duration.ofSeconds(30));
		}
		finally {
			load.close();
		}
		System.out.println("[fault] POST /actuator/upgrade answered " + answer.status() + " " + answer.text());
		assertThat(answer.status()).as("POST /actuator/upgrade: %s", answer).isEqualTo(500);
		String reason = "the new generation (pid " + child + ") exited before it was ready";
		assertThat(AppUnderTest.json(answer).get("reason").asString()).contains(reason);
		JsonNode last = this.app.status().get("lastUpgrade");
		assertThat(last.get("outcome").asString()).isEqualTo("FAILED");
		assertThat(last.get("reason").asString()).contains(reason);
		assertThat(last.get("childPid").asLong()).isEqualTo(child);
		this.app
			.awaitLog("Generation 1 \\(pid " + gen1 + "\\): upgrade failed after \\d+ ms: .*exited before it was ready"
					+ ".*; this generation keeps serving", Duration.ofSeconds(5));
		this.app.assertEndState(load, 1, fresh);
		assertThat(this.app.status().get("state").asString()).isEqualTo("SERVING");
	}

}
