package io.zerodowntime.sample.it;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A new generation that dies a second after it took the traffic (crash, OOM kill,
 * {@code kill -9}), five times in a row, under a client load on new connections and on
 * keep-alive connections and a connect probe every 50 ms. With probation on, the previous
 * generation takes the traffic back at once each time: {@code ROLLED_BACK} in the POST
 * answer and in {@code lastUpgrade}, not one refused connection, the old pid serving on.
 * With probation off ({@code zerodowntime.probation=0}), the same crash leaves the port
 * closed: the figures are printed, not asserted (beyond what is certain).
 *
 * <p>
 * What probation cannot save, and what is therefore not counted as a failure of it: a
 * request that the dying generation had already accepted when it died (the kernel resets
 * its connection). Such a failure must be a reset or an early close, of a request that
 * started during that round's upgrade, before the death was seen. A connection refused, a
 * timeout or a bad status is a failure, whenever it happened.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ProbationRollbackIT {

	private static final int ROUNDS = 5;

	/**
	 * The contrast needs fewer rounds in CI (each is a fresh application, and each is
	 * alike); {@code -Dprobation.contrast-rounds=5} gives the figures of five.
	 */
	private static final int ROUNDS_WITHOUT_PROBATION = Integer.getInteger("probation.contrast-rounds", 2);

	private static final Duration AFTER_TAKEOVER = Duration.ofSeconds(1);

	@TempDir
	Path dir;

	/**
	 * Probation on (10 s): odd rounds {@code kill -9} by the test 1 s after the new
	 * generation answered, even rounds {@code sample.exit-after-ready=1s} (it halts
	 * itself).
	 */
	@Test
	void aNewGenerationThatDiesDuringItsProbationIsRolledBackWithoutARefusedConnection() {
		try (AppUnderTest app = new AppUnderTest(this.dir)) {
			app.start("--zerodowntime.probation=10s");
			long gen1 = app.awaitGeneration(1);
			AppUnderTest.Snapshot fresh = app.baseline(gen1);
			List<long[]> rounds = new ArrayList<>();
			ClientLoop load = ClientLoop.start(app.port(), 2);
			ClientLoop keepAlive = ClientLoop.keepAlive(app.port(), 2);
			ClientLoop probe = ClientLoop.probe(app.port());
			try {
				load.awaitMoreOk(20, Duration.ofSeconds(30));
				keepAlive.awaitMoreOk(20, Duration.ofSeconds(30));
				for (int round = 1; round <= ROUNDS; round++) {
					boolean selfHalt = round % 2 == 0;
					System.out.println("[probation] ---- round " + round + ": the new generation "
							+ (selfHalt ? "halts itself (sample.exit-after-ready=1s)" : "is killed (kill -9)")
							+ " 1 s after it took the traffic ----");
					app.configureNextGeneration(
							selfHalt ? "sample.exit-after-ready=" + AFTER_TAKEOVER.toMillis() + "ms" : "");
					long upgradeStart = System.nanoTime();
					CompletableFuture<Http.Response> post = CompletableFuture.supplyAsync(app::postUpgrade);
					long gen2 = app.awaitAnswering(2, AppUnderTest.STARTUP);
					long answering = System.nanoTime();
					if (!selfHalt) {
						AppUnderTest.sleep(AFTER_TAKEOVER.toMillis());
						Procfs.signal(gen2, "KILL");
					}
					Procfs.awaitGone(gen2, Duration.ofSeconds(30));
					long dead = System.nanoTime();
					rounds.add(new long[] { upgradeStart, dead });
					Http.Response response = post.join();
					System.out.println("[probation] POST /actuator/upgrade: " + response.status() + " "
							+ response.text() + " (new generation answered after "
							+ TimeUnit.NANOSECONDS.toMillis(answering - upgradeStart) + " ms, gone "
							+ TimeUnit.NANOSECONDS.toMillis(dead - answering) + " ms later)");
					JsonNode outcome = AppUnderTest.json(response);
					assertThat(response.status()).as("POST /actuator/upgrade: %s", response).isEqualTo(500);
					assertThat(outcome.path("outcome").asString()).as("%s", outcome).isEqualTo("ROLLED_BACK");
					assertThat(outcome.path("reason").asString()).as("%s", outcome)
						.isEqualTo("the new generation (pid " + gen2
								+ ") exited during its probation; see its log for why");
					assertThat(outcome.path("pid").asLong()).as("%s", outcome).isEqualTo(gen2);
					JsonNode status = app.status();
					assertThat(status.path("pid").asLong()).as("%s", status).isEqualTo(gen1);
					assertThat(status.path("state").asString()).as("%s", status).isEqualTo("SERVING");
					assertThat(status.path("lastUpgrade").path("outcome").asString()).as("%s", status)
						.isEqualTo("ROLLED_BACK");
					assertThat(status.path("lastUpgrade").path("reason").asString()).as("%s", status)
						.isEqualTo(outcome.path("reason").asString());
					assertThat(app.awaitGeneration(1)).as("pid serving and in the PID file").isEqualTo(gen1);
					app.awaitLog("Generation 1 \\(pid " + gen1 + "\\): rolled back from generation 2 \\(pid " + gen2
							+ "\\) after \\d+ ms: .*; this generation serves again", Duration.ofSeconds(10));
					load.awaitMoreOk(10, Duration.ofSeconds(30));
					keepAlive.awaitMoreOk(10, Duration.ofSeconds(30));
					System.out.println("[probation] after round " + round + ": clients " + load.summary()
							+ "; keep-alive " + keepAlive.summary() + "; probe " + probe.summary());
				}
			}
			finally {
				probe.close();
				keepAlive.close();
				load.close();
			}
			System.out.println("[probation] probation on, " + ROUNDS + " crashes: new connections " + load
					+ "; keep-alive " + keepAlive + "; connect probe " + probe);
			assertThat(probe.failures()).as("connect probe: refused or timed out connections (%s)", probe.summary())
				.isEmpty();
			List<ClientLoop.Failure> lost = new ArrayList<>(load.failures());
			lost.addAll(keepAlive.failures());
			for (ClientLoop.Failure failure : lost) {
				assertThat(failure.kind()).as("failed request %s", failure)
					.isIn(ClientLoop.Kind.RESET, ClientLoop.Kind.CLOSED);
				assertThat(rounds).as("a round whose dying generation may have held %s", failure)
					.anyMatch((r) -> failure.startNanos() >= r[0] && failure.startNanos() <= r[1]);
			}
			System.out.println("[probation] figures: probation on, " + ROUNDS + " crashes: "
					+ (load.ok() + keepAlive.ok()) + " requests ok, " + lost.size()
					+ " lost with the dying generation (accepted by it before it died), " + keepAlive.retried()
					+ " keep-alive requests sent again on a new connection, " + probe.ok() + " connects ok, 0 refused");
			assertThat(load.servedBy(1) + keepAlive.servedBy(1)).as("requests served by generation 1").isPositive();
			long serving = app.assertOneGenerationServing(1);
			assertThat(serving).isEqualTo(gen1);
			app.assertNoOrphans(serving);
			app.assertNoZombies();
			app.assertFds(fresh, serving);
		}
	}

	/**
	 * Probation off: the same crash (kill -9, 1 s after the new generation answered)
	 * leaves nobody listening. Each round is a fresh application, as nothing is left to
	 * upgrade from. Certain: the upgrade said {@code SUCCEEDED}, and once the crash is
	 * seen nothing answers. Counted and printed: refused connections.
	 */
	@Test
	void withoutProbationTheSameCrashClosesThePort() {
		long refusedTotal = 0;
		long failedTotal = 0;
		long okTotal = 0;
		for (int round = 1; round <= ROUNDS_WITHOUT_PROBATION; round++) {
			System.out.println("[probation] ---- probation off, round " + round + " ----");
			try (AppUnderTest app = new AppUnderTest(this.dir.resolve("round-" + round))) {
				app.start("--zerodowntime.probation=0");
				app.awaitGeneration(1);
				ClientLoop load = ClientLoop.start(app.port(), 2);
				ClientLoop probe = ClientLoop.probe(app.port());
				try {
					load.awaitMoreOk(10, Duration.ofSeconds(30));
					Http.Response response = app.postUpgrade();
					assertThat(response.status()).as("POST /actuator/upgrade: %s", response).isEqualTo(200);
					assertThat(AppUnderTest.json(response).path("outcome").asString()).isEqualTo("SUCCEEDED");
					long gen2 = app.awaitAnswering(2, AppUnderTest.STARTUP);
					AppUnderTest.sleep(AFTER_TAKEOVER.toMillis());
					Procfs.signal(gen2, "KILL");
					Procfs.awaitGone(gen2, Duration.ofSeconds(30));
					// a connect completed just before the crash may be counted just after
					AppUnderTest.sleep(200);
					long okBefore = probe.ok();
					long attemptsBefore = okBefore + probe.failures().size();
					// the probe's own cadence: 2 s of connects after the crash
					AppUnderTest.sleep(2000);
					assertThat(probe.ok() + probe.failures().size() - attemptsBefore).as("probes after the crash")
						.isPositive();
					assertThat(probe.ok()).as("connects accepted after the crash; probe %s", probe.summary())
						.isEqualTo(okBefore);
				}
				finally {
					probe.close();
					load.close();
				}
				long refused = probe.failures().stream().filter((f) -> f.kind() == ClientLoop.Kind.REFUSED).count();
				System.out.println("[probation] probation off, round " + round + ": requests " + load.summary()
						+ "; connect probe " + probe.summary() + ", " + refused + " refused");
				refusedTotal += refused;
				failedTotal += load.failures().size();
				okTotal += load.ok();
			}
		}
		System.out.println("[probation] figures: probation off, " + ROUNDS_WITHOUT_PROBATION + " crashes: " + okTotal
				+ " requests ok, " + failedTotal + " failed; " + refusedTotal
				+ " probe connects refused (each round 2 s of probing " + "after the crash)");
	}

}
