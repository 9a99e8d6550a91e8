package io.zerodowntime.sample.it;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A new generation takes the traffic only once its readiness health group is {@code UP},
 * and keeps it only while it stays so. Under a client load and a connect probe, against
 * the same generation 1: a release whose stand-in database is down
 * ({@code sample.db-down=true}: indicator {@code db} in the sample's {@code readiness}
 * group) fails the upgrade at the upgrade timeout (25 s here), naming the failing
 * indicator; a release whose readiness state turns {@code REFUSING_TRAFFIC} a second
 * after it took the traffic ({@code sample.readiness-down=1s}) is rolled back. Not one
 * request fails; generation 1 serves on.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class GatedReadinessIT {

	@TempDir
	Path dir;

	@Test
	void aReleaseThatIsNotReadyNeverTakesTheTrafficAndOneThatStopsBeingReadyIsRolledBack() {
		try (AppUnderTest app = new AppUnderTest(this.dir)) {
			app.start("--zerodowntime.upgrade-timeout=25s", "--zerodowntime.probation=10s");
			long gen1 = app.awaitGeneration(1);
			AppUnderTest.Snapshot fresh = app.baseline(gen1);
			ClientLoop load = ClientLoop.start(app.port(), 2);
			ClientLoop probe = ClientLoop.probe(app.port());
			try {
				load.awaitMoreOk(20, Duration.ofSeconds(30));

				System.out.println("[gated] ---- the new release's readiness group stays DOWN ----");
				app.configureNextGeneration("sample.db-down=true");
				long t0 = System.nanoTime();
				Http.Response response = app.postUpgrade();
				long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
				System.out.println("[gated] POST /actuator/upgrade after " + millis + " ms: " + response.status() + " "
						+ response.text());
				JsonNode outcome = AppUnderTest.json(response);
				assertThat(response.status()).as("POST /actuator/upgrade: %s", response).isEqualTo(500);
				assertThat(outcome.path("outcome").asString()).as("%s", outcome).isEqualTo("FAILED");
				JsonNode failed = app.status().path("lastUpgrade");
				assertThat(failed.path("outcome").asString()).as("lastUpgrade %s", failed).isEqualTo("FAILED");
				long notReady = failed.path("childPid").asLong();
				assertThat(failed.path("reason").asString()).isEqualTo(outcome.path("reason").asString());
				assertThat(outcome.path("reason").asString()).as("%s", outcome)
					.isEqualTo("the new generation (pid " + notReady + ") was not ready within the upgrade timeout "
							+ "of 25000 ms: health group 'readiness' is DOWN: db: DOWN (Connection refused)");
				app.awaitLog(Pattern.quote(
						"Not ready yet: health group 'readiness' is DOWN: db: DOWN (Connection " + "refused); waiting"),
						Duration.ofSeconds(5));
				Procfs.awaitGone(notReady, Duration.ofSeconds(30));
				assertThat(app.awaitGeneration(1)).isEqualTo(gen1);
				assertThat(load.servedBy(2)).as("requests served by the release that was never ready").isZero();
				load.awaitMoreOk(20, Duration.ofSeconds(30));

				System.out.println("[gated] ---- the new release stops being ready 1 s after it took the traffic ----");
				app.configureNextGeneration("sample.readiness-down=1s");
				t0 = System.nanoTime();
				response = ProbationErrorRatioIT.postAccepted(app);
				millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
				System.out.println("[gated] POST /actuator/upgrade after " + millis + " ms: " + response.status() + " "
						+ response.text());
				outcome = AppUnderTest.json(response);
				assertThat(response.status()).as("POST /actuator/upgrade: %s", response).isEqualTo(500);
				assertThat(outcome.path("outcome").asString()).as("%s", outcome).isEqualTo("ROLLED_BACK");
				long rolledBack = outcome.path("pid").asLong();
				assertThat(outcome.path("reason").asString()).as("%s", outcome)
					.startsWith("the new generation (pid " + rolledBack + ") is not ready: ")
					.contains("REFUSING_TRAFFIC");
				app.awaitLog(Pattern
					.quote("Generation 1 (pid " + gen1 + "): rolled back from generation 2 (pid " + rolledBack + ")"),
						Duration.ofSeconds(10));
				assertThat(app.awaitGeneration(1)).isEqualTo(gen1);
				JsonNode status = app.status();
				assertThat(status.path("lastUpgrade").path("outcome").asString()).as("%s", status)
					.isEqualTo("ROLLED_BACK");
				Procfs.awaitGone(rolledBack, Duration.ofSeconds(60));
				load.awaitMoreOk(20, Duration.ofSeconds(30));
			}
			finally {
				probe.close();
				load.close();
			}
			System.out.println("[gated] figures: requests " + load.summary() + "; connect probe " + probe.summary());
			assertThat(probe.failures()).as("connect probe (%s)", probe.summary()).isEmpty();
			app.assertEndState(load, 1, fresh);
		}
	}

}
