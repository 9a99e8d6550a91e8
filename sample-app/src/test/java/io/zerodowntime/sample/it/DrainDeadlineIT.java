package io.zerodowntime.sample.it;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The drain timeout is a hard deadline, whatever Spring Boot's graceful shutdown is set
 * to: with {@code server.shutdown=graceful} and a 30 s shutdown phase, a request that
 * outlives a 3 s drain timeout is cut at the deadline, the log counts it, and the
 * generation exits within the drain timeout plus the exit grace (2 s), after a handover
 * and after SIGTERM alike. The measured times are printed.
 */
@RunsAlone
class DrainDeadlineIT {

	private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(3);

	private static final Duration EXIT_GRACE = Duration.ofSeconds(2);

	/**
	 * What observing an exit may add to the promise: polling {@code /proc}, the log
	 * timestamp's millisecond, the kernel tearing down a halted JVM.
	 */
	private static final Duration OBSERVATION = Duration.ofMillis(500);

	private static final Pattern TIMESTAMP = Pattern.compile("^(\\d{4}-\\d\\d-\\d\\dT\\S+)");

	@TempDir
	Path dir;

	private AppUnderTest app;

	@AfterEach
	void stopEveryGeneration() {
		if (this.app != null) {
			this.app.close();
		}
	}

	@Test
	void aRequestOutlivingTheDrainTimeoutIsCutAndTheGenerationExitsOnTimeAfterAHandoverAndAfterSigterm()
			throws Exception {
		this.app = new AppUnderTest(this.dir);
		this.app.start("--zerodowntime.drain-timeout=" + DRAIN_TIMEOUT.toSeconds() + "s", "--zerodowntime.probation=0",
				"--server.shutdown=graceful", "--spring.lifecycle.timeout-per-shutdown-phase=30s");
		long gen1 = this.app.awaitGeneration(1);

		// a handover with a request that outlives the drain timeout
		CompletableFuture<String> slow1 = slowRequestHeldBy(gen1);
		Procfs.signal(gen1, "HUP");
		long gen2 = this.app.awaitGeneration(2);
		Instant gen1Exit = awaitExit(gen1);
		Instant gen1Drain = logTime("Generation 1 \\(pid " + gen1 + "\\) draining");
		Duration handoverToExit = Duration.between(gen1Drain, gen1Exit);
		assertThat(slow1.get(30, TimeUnit.SECONDS)).as("the slow request on gen 1").startsWith("cut:");
		this.app.awaitLog("Generation 1 \\(pid " + gen1
				+ "\\): drain timeout \\(3000 ms\\) reached with 1 request\\(s\\) " + "still running; cut them",
				Duration.ofSeconds(10));

		// SIGTERM with a request that outlives the drain timeout
		this.app.awaitParentExitSeen(gen1);
		CompletableFuture<String> slow2 = slowRequestHeldBy(gen2);
		Instant sigterm = Instant.now();
		Procfs.signal(gen2, "TERM");
		Instant gen2Exit = awaitExit(gen2);
		Duration sigtermToExit = Duration.between(sigterm, gen2Exit);
		Instant gen2Drain = logTime("Generation 2 \\(pid " + gen2 + "\\) draining");
		Duration drainToExit = Duration.between(gen2Drain, gen2Exit);
		assertThat(slow2.get(30, TimeUnit.SECONDS)).as("the slow request on gen 2").startsWith("cut:");
		this.app.awaitLog("Generation 2 \\(pid " + gen2
				+ "\\): drain timeout \\(3000 ms\\) reached with 1 request\\(s\\) " + "still running; cut them",
				Duration.ofSeconds(10));

		System.out.printf(
				"[figures] drain-timeout %d ms, exit grace %d ms, graceful shutdown phase 30000 ms: handover to exit "
						+ "%d ms (gen 1); SIGTERM to exit %d ms, drain start to exit %d ms (gen 2)%n",
				DRAIN_TIMEOUT.toMillis(), EXIT_GRACE.toMillis(), handoverToExit.toMillis(), sigtermToExit.toMillis(),
				drainToExit.toMillis());
		Duration promise = DRAIN_TIMEOUT.plus(EXIT_GRACE).plus(OBSERVATION);
		assertThat(handoverToExit).as("gen 1: handover (drain start) to exit").isLessThanOrEqualTo(promise);
		assertThat(drainToExit).as("gen 2: SIGTERM handled (drain start) to exit").isLessThanOrEqualTo(promise);
		// the request was cut at the deadline, not before
		assertThat(handoverToExit).as("gen 1: handover to exit").isGreaterThanOrEqualTo(DRAIN_TIMEOUT);
		assertThat(sigtermToExit).as("gen 2: SIGTERM to exit").isGreaterThanOrEqualTo(DRAIN_TIMEOUT);
		assertThat(this.app.output()).doesNotContain("has not exited within its drain timeout plus exit grace");
		this.app.assertNoOrphans(-1);
		this.app.assertNoZombies();
	}

	/**
	 * Send {@code GET /slow?ms=60000} and wait until the generation holds its connection;
	 * the future completes with the response, or {@code cut: <why>} when the connection
	 * closed without one.
	 */
	private CompletableFuture<String> slowRequestHeldBy(long pid) {
		CompletableFuture<String> slow = new CompletableFuture<>();
		Thread client = new Thread(() -> {
			try {
				slow.complete(Http.get(this.app.port(), "/slow?ms=60000", Duration.ofSeconds(90)).toString());
			}
			catch (RuntimeException ex) {
				slow.complete("cut: " + ex.getMessage());
			}
		}, "slow-request");
		client.setDaemon(true);
		client.start();
		await("pid " + pid + " to accept the slow request").atMost(Duration.ofSeconds(20))
			.pollDelay(Duration.ZERO)
			.pollInterval(Duration.ofMillis(20))
			.until(() -> {
				assertThat(slow).as("the slow request ended before it was in flight").isNotDone();
				java.util.Set<Long> held = Procfs.socketInodes(pid);
				return Procfs.serverSideInodes(this.app.port()).values().stream().anyMatch(held::contains);
			});
		// give the request time to reach the controller
		AppUnderTest.sleep(300);
		return slow;
	}

	/**
	 * Wait for a process to exit, looking every 5 ms, and return when it was seen gone.
	 */
	private static Instant awaitExit(long pid) {
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
		while (Procfs.running(pid)) {
			assertThat(System.nanoTime()).as("pid " + pid + " still running 60 s later").isLessThan(deadline);
			AppUnderTest.sleep(5);
		}
		return Instant.now();
	}

	/** Return the timestamp of the first log line that matches. */
	private Instant logTime(String regex) {
		Matcher line = this.app.awaitLog(".*" + regex, Duration.ofSeconds(10));
		Matcher timestamp = TIMESTAMP.matcher(line.group());
		assertThat(timestamp.find()).as("a timestamp at the start of '%s'", line.group()).isTrue();
		return OffsetDateTime.parse(timestamp.group(1)).toInstant();
	}

}
