package io.zerodowntime.sample.it;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A release that answers half of its requests with a 500
 * ({@code sample.server-errors=0.5}), judged with
 * {@code zerodowntime.rollback.max-error-ratio=0.05} and
 * {@code zerodowntime.rollback.min-requests=20}: rolled back with the ratio in the
 * reason, counted by the meter {@code zerodowntime.upgrades{outcome=ROLLED_BACK}},
 * published as a Spring event. Then a good release upgrades; during its probation and
 * after, {@code GET /actuator/upgrade} says how it was born ({@code upgradedFrom}) and
 * until when it is on probation ({@code probation}).
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ProbationErrorRatioIT {

	private static final Pattern RATIO_REASON = Pattern
		.compile("the new generation \\(pid (\\d+)\\) answered (\\d+) of (\\d+) requests with a 5xx \\([\\d.,]+%, "
				+ "above zerodowntime.rollback.max-error-ratio=0.05\\)");

	@TempDir
	Path dir;

	@Test
	void aReleaseAnsweringTooMany5xxIsRolledBackThenAGoodOneKeepsTheTraffic() {
		try (AppUnderTest app = new AppUnderTest(this.dir)) {
			app.start("--zerodowntime.probation=10s", "--zerodowntime.rollback.max-error-ratio=0.05",
					"--zerodowntime.rollback.min-requests=20");
			long gen1 = app.awaitGeneration(1);
			AppUnderTest.Snapshot fresh = app.baseline(gen1);
			ClientLoop load = ClientLoop.start(app.port(), 2);
			ClientLoop probe = ClientLoop.probe(app.port());
			try {
				load.awaitMoreOk(20, Duration.ofSeconds(30));

				System.out.println("[ratio] ---- a release answering half of its requests with a 500 ----");
				app.configureNextGeneration("sample.server-errors=0.5");
				long t0 = System.nanoTime();
				Http.Response response = app.postUpgrade();
				long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
				System.out.println("[ratio] POST /actuator/upgrade after " + millis + " ms: " + response.status() + " "
						+ response.text());
				JsonNode outcome = AppUnderTest.json(response);
				assertThat(response.status()).as("POST /actuator/upgrade: %s", response).isEqualTo(500);
				assertThat(outcome.path("outcome").asString()).as("%s", outcome).isEqualTo("ROLLED_BACK");
				String reason = outcome.path("reason").asString();
				assertThat(reason).as("reason").matches(RATIO_REASON);
				Matcher counts = RATIO_REASON.matcher(reason);
				assertThat(counts.matches()).isTrue();
				long bad = outcome.path("pid").asLong();
				assertThat(Long.parseLong(counts.group(1))).isEqualTo(bad);
				assertThat(Long.parseLong(counts.group(3))).as("requests judged").isGreaterThanOrEqualTo(20);
				JsonNode status = app.status();
				assertThat(status.path("pid").asLong()).as("%s", status).isEqualTo(gen1);
				assertThat(status.path("lastUpgrade").path("outcome").asString()).isEqualTo("ROLLED_BACK");
				assertThat(status.path("lastUpgrade").path("reason").asString()).isEqualTo(reason);
				assertThat(app.awaitGeneration(1)).isEqualTo(gen1);
				app.awaitLog(Pattern
					.quote("Generation 1 (pid " + gen1 + "): rolled back from generation 2 (pid " + bad + ")")
						+ " after \\d+ ms: " + Pattern.quote(reason), Duration.ofSeconds(10));
				app.awaitLog(" " + gen1 + " --- .*Spring event UpgradeRolledBackEvent: .*ROLLED_BACK",
						Duration.ofSeconds(10));
				assertThat(rolledBackCount(app)).as("zerodowntime.upgrades{outcome=ROLLED_BACK}").isEqualTo(1.0);
				Procfs.awaitGone(bad, Duration.ofSeconds(60));
				List<ClientLoop.Failure> failures = load.failures();
				System.out.println("[ratio] figures: the bad release answered " + counts.group(2) + " of "
						+ counts.group(3) + " requests it was judged on with a 500; rolled back " + millis
						+ " ms after the POST; the clients saw " + failures.size() + " failed of "
						+ (load.ok() + failures.size()) + " so far");
				assertThat(failures).as("failures other than the bad release's 500s")
					.allMatch((f) -> f.kind() == ClientLoop.Kind.STATUS && f.detail().startsWith("500 "));

				System.out.println("[ratio] ---- a good release ----");
				app.configureNextGeneration("");
				long failuresBefore = load.failures().size();
				CompletableFuture<Http.Response> post = CompletableFuture.supplyAsync(() -> postAccepted(app));
				long gen2 = app.awaitAnswering(2, AppUnderTest.STARTUP);
				JsonNode during = Awaitility.await("generation 2 to answer GET /actuator/upgrade")
					.atMost(Duration.ofSeconds(20))
					.pollInterval(Duration.ofMillis(50))
					.until(app::status, (s) -> s.path("pid").asLong() == gen2);
				System.out.println("[ratio] GET /actuator/upgrade during the probation: " + during);
				assertThat(during.path("upgradedFrom").path("generation").asInt()).as("%s", during).isEqualTo(1);
				assertThat(during.path("upgradedFrom").path("pid").asLong()).as("%s", during).isEqualTo(gen1);
				assertThat(during.path("upgradedFrom").path("durationMs").asLong()).as("%s", during).isPositive();
				assertThat(during.path("probation").path("until").isMissingNode()).as("%s", during).isFalse();
				Http.Response good = post.join();
				System.out.println("[ratio] POST /actuator/upgrade: " + good.status() + " " + good.text());
				assertThat(good.status()).as("POST /actuator/upgrade: %s", good).isEqualTo(200);
				assertThat(AppUnderTest.json(good).path("outcome").asString()).isEqualTo("SUCCEEDED");
				assertThat(AppUnderTest.json(good).path("pid").asLong()).isEqualTo(gen2);
				assertThat(app.awaitGeneration(2)).isEqualTo(gen2);
				JsonNode after = Awaitility.await("generation 2's probation to be over")
					.atMost(Duration.ofSeconds(20))
					.pollInterval(Duration.ofMillis(100))
					.until(app::status, (s) -> s.path("probation").isNull() || s.path("probation").isMissingNode());
				System.out.println("[ratio] GET /actuator/upgrade after the probation: " + after);
				assertThat(after.path("upgradedFrom").path("pid").asLong()).isEqualTo(gen1);
				Procfs.awaitGone(gen1, Duration.ofSeconds(60));
				load.awaitMoreOk(20, Duration.ofSeconds(30));
				assertThat(load.failures()).as("failed requests of the good release").hasSize((int) failuresBefore);
			}
			finally {
				probe.close();
				load.close();
			}
			assertThat(probe.failures()).as("connect probe (%s)", probe.summary()).isEmpty();
			System.out.println("[ratio] load: " + load.summary() + "; probe " + probe.summary());
			long serving = app.assertOneGenerationServing(2);
			app.assertNoOrphans(serving);
			app.assertNoZombies();
			app.assertFds(fresh, serving);
		}
	}

	/**
	 * POST an upgrade, again while the rolled-back generation is still draining (the one
	 * refusal that is expected here).
	 */
	static Http.Response postAccepted(AppUnderTest app) {
		return Awaitility.await("POST /actuator/upgrade to be accepted")
			.atMost(Duration.ofSeconds(60))
			.pollInterval(Duration.ofMillis(200))
			.until(app::postUpgrade, (r) -> r.status() != 409 || !r.text().contains("still draining"));
	}

	private static double rolledBackCount(AppUnderTest app) {
		Http.Response metric = Http.get(app.port(), "/actuator/metrics/zerodowntime.upgrades?tag=outcome:ROLLED_BACK",
				Duration.ofSeconds(20));
		System.out.println("[ratio] GET /actuator/metrics/zerodowntime.upgrades?tag=outcome:ROLLED_BACK: " + metric);
		assertThat(metric.status()).as("%s", metric).isEqualTo(200);
		for (JsonNode measurement : AppUnderTest.json(metric).path("measurements")) {
			if ("COUNT".equals(measurement.path("statistic").asString())) {
				return measurement.path("value").asDouble();
			}
		}
		throw new AssertionError("no COUNT in " + metric);
	}

}
