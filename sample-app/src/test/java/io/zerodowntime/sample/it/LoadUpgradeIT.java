package io.zerodowntime.sample.it;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import io.zerodowntime.sample.it.AppUnderTest.Trigger;
import org.assertj.core.api.SoftAssertions;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import static io.zerodowntime.sample.it.AppUnderTest.Trigger.HUP;
import static io.zerodowntime.sample.it.AppUnderTest.Trigger.POST;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The product's promise under real load from clients we did not write ({@code wrk} and
 * {@code hey}, Debian packages of those names): the packaged sample app, started as a
 * user starts it ({@code java -jar}, from a private copy of the jar), is upgraded five
 * times in a row, by SIGHUP and by {@code POST /actuator/upgrade} in turn, while the load
 * runs, and no request fails.
 *
 * <p>
 * Every scenario asserts: no connect error, no reset, no response missing, no response
 * outside 2xx (from wrk's {@code Socket errors} and {@code Non-2xx or 3xx responses}
 * lines and a script counting every status, and from hey's status and error
 * distributions); the final generation is the number of successful upgrades plus one; no
 * process runs the jar copy but the current generation, no orphan, no zombie; a probe
 * connecting every 50 ms was never refused.
 *
 * <p>
 * The load is paced, and the app runs with small-service JVM options
 * ({@link AppUnderTest#JVM_OPTIONS} and a heap of 256 MB), so that the two cores of a
 * small CI machine still start each new JVM in a few seconds; every load is capped in
 * time and stopped by SIGINT once the series is done. Everything listens on 127.0.0.1
 * only. A missing load generator fails the suite, it does not skip it.
 */
@RunsAlone
class LoadUpgradeIT {

	/** Five upgrades, each trigger in turn. */
	private static final List<Trigger> SERIES = List.of(HUP, POST, HUP, POST, HUP);

	/**
	 * wrk's pause before each request on each connection: 16 connections make at most
	 * 1,600 requests a second.
	 */
	private static final int PACE_MILLIS = 10;

	/** hey's requests per second per worker. */
	private static final int HEY_RATE = 20;

	/** No load runs longer than this, whatever happens. */
	private static final Duration CAP = Duration.ofMinutes(3);

	/**
	 * How long the load runs against a generation before the first and after the last
	 * upgrade.
	 */
	private static final Duration STEADY = Duration.ofSeconds(1);

	/**
	 * The shortest upgrade timeout in the scenario with bad releases: long enough for a
	 * good release of the sample app to start under the load on two busy cores, short
	 * enough to give up on the hung one soon. A slower application gets four times its
	 * first start.
	 */
	private static final Duration BAD_RELEASE_TIMEOUT = Duration.ofSeconds(15);

	@TempDir
	Path dir;

	@BeforeAll
	static void loadGenerators() {
		AppUnderTest.requireTool("wrk", "wrk hey", "the load suite needs the load generators wrk and hey");
		AppUnderTest.requireTool("hey", "wrk hey", "the load suite needs the load generators wrk and hey");
	}

	/**
	 * Both shapes of client at once, wrk on keep-alive connections and hey with a new
	 * connection per request, and under that load, before each trigger: six 2 s requests
	 * that the old generation must answer, one more every 250 ms until the new generation
	 * serves (either may answer), and two 20 MB uploads, one written across the trigger
	 * and one whose second half is held back until the new generation serves; the old
	 * generation answers both.
	 */
	@Test
	void requestsInFlightAcrossEachTrigger() throws Exception {
		List<Answered> answered = new ArrayList<>();
		try (AppUnderTest app = start("in-flight");
				ClientLoop probe = ClientLoop.probe(app.port());
				ExternalLoad wrk = ExternalLoad.wrk(this.dir, "wrk-in-flight", app.port(), 16, PACE_MILLIS, true, CAP);
				ExternalLoad hey = ExternalLoad.hey(this.dir, "hey-in-flight", app.port(), 8, HEY_RATE, false, CAP)) {
			steady();
			long seed = 0;
			for (Trigger trigger : SERIES) {
				app.awaitUpgradable();
				int before = app.generation();
				List<InFlight> uploads = List.of(
						InFlight.upload(app.port(), 20 * 1024 * 1024, ++seed, Duration.ofMillis(20), () -> true),
						InFlight.upload(app.port(), 20 * 1024 * 1024, ++seed, Duration.ofMillis(5),
								() -> servedByNewer(app, before)));
				uploads.forEach((upload) -> upload.awaitWritten(Duration.ofSeconds(30)));
				List<InFlight> justBefore = IntStream.range(0, 6)
					.mapToObj((i) -> InFlight.slow(app.port(), 2000, i % 2 == 1))
					.toList();
				justBefore.forEach((request) -> request.awaitWritten(Duration.ofSeconds(10)));
				// the requests reach the app's request threads, which then sleep for 2 s
				TimeUnit.MILLISECONDS.sleep(200);
				// and while the next generation starts, one more every 250 ms, so that
				// several are in flight in the old generation when it hands over
				List<InFlight> during = new ArrayList<>();
				Thread feeder = new Thread(() -> {
					while (!servedByNewer(app, before) && during.size() < 400) {
						// started while the old generation may be handing over already:
						// a connection it closes after the first answer is followed by a
						// new one
						InFlight request = InFlight.slow(app.port(), 2000,
								(during.size() % 2 == 1) ? InFlight.Reuse.UNLESS_CLOSED : InFlight.Reuse.NONE);
						synchronized (during) {
							during.add(request);
						}
						try {
							// the feeder's cadence
							TimeUnit.MILLISECONDS.sleep(250);
						}
						catch (InterruptedException ex) {
							Thread.currentThread().interrupt();
							return;
						}
					}
				}, "slow-feeder");
				feeder.start();
				app.upgrade(trigger);
				feeder.join(30_000);
				for (InFlight request : justBefore) {
					answered.add(new Answered(request.await(Duration.ofSeconds(60)), Set.of(before)));
				}
				synchronized (during) {
					for (InFlight request : during) {
						answered.add(new Answered(request.await(Duration.ofSeconds(60)), Set.of(before, before + 1)));
					}
				}
				for (InFlight upload : uploads) {
					answered.add(new Answered(upload.await(Duration.ofSeconds(90)), Set.of(before)));
				}
			}
			steady();
			assertNoFailure(app, probe, wrk.result(), hey.result(), answered);
		}
	}

	/**
	 * A release that fails at start and one that hangs, each between good ones, under the
	 * load: each fails, the generation before it serves on, and the next good release
	 * takes over.
	 */
	@Test
	void badReleasesInTheMiddleOfTheSeries() throws Exception {
		try (AppUnderTest app = start("bad");
				ClientLoop probe = ClientLoop.probe(app.port());
				ExternalLoad wrk = ExternalLoad.wrk(this.dir, "wrk-bad", app.port(), 16, PACE_MILLIS, true, CAP);
				ExternalLoad hey = ExternalLoad.hey(this.dir, "hey-bad", app.port(), 8, HEY_RATE, false, CAP)) {
			// generations 2 and later read the upgrade timeout from the extra
			// configuration
			Duration timeout = max(BAD_RELEASE_TIMEOUT, app.startupTime().multipliedBy(4));
			String timeoutProperty = "zerodowntime.upgrade-timeout=" + timeout.toSeconds() + "s";
			app.configureNextGeneration(timeoutProperty);
			steady();
			app.upgrade(HUP);
			app.configureNextGeneration(timeoutProperty, "sample.fail-on-start=true");
			Failed failed = failedUpgrade(app, HUP);
			app.configureNextGeneration(timeoutProperty);
			app.upgrade(POST);
			app.configureNextGeneration(timeoutProperty, "sample.hang-on-start=true");
			Failed hung = failedUpgrade(app, POST);
			app.configureNextGeneration(timeoutProperty);
			app.upgrade(HUP);
			steady();
			assertNoFailure(app, probe, wrk.result(), hey.result(), List.of());
			assertThat(failed.reason()).as("why the release that fails at start failed").isNotBlank();
			assertThat(hung.reason()).as("why the release that hangs at start failed").isNotBlank();
			assertThat(hung.took()).as("the hung release was given up after the upgrade timeout")
				.isGreaterThanOrEqualTo(timeout);
		}
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
	 * One failed upgrade.
	 *
	 * @param trigger how it was triggered
	 * @param childPid the new generation that failed, if it was started
	 * @param reason why it failed, as the old generation reports it
	 * @param took trigger to the failure being reported
	 */
	private record Failed(Trigger trigger, Long childPid, String reason, Duration took) {

	}

	/**
	 * Trigger an upgrade that must fail (the new release is bad), and wait until the
	 * generation followed now reports the failure and still serves; the new generation's
	 * process must be gone.
	 */
	private static Failed failedUpgrade(AppUnderTest app, Trigger trigger) {
		app.awaitUpgradable();
		JsonNode previous = app.status().get("lastUpgrade");
		System.out.println("[bad] ## upgrade meant to fail, by " + trigger + " (pid " + app.pid() + ")");
		long t0 = System.nanoTime();
		JsonNode after;
		if (trigger == HUP) {
			Procfs.signal(app.pid(), "HUP");
			after = Awaitility.await("generation " + app.generation() + " to report the failed upgrade")
				.atMost(Duration.ofSeconds(120))
				.pollInterval(Duration.ofMillis(100))
				.until(app::status, (json) -> "SERVING".equals(json.path("state").asString())
						&& !Objects.equals(previous, json.get("lastUpgrade")));
		}
		else {
			Http.Response response = app.postUpgrade();
			assertThat(response.status()).as("POST /actuator/upgrade: %s", response).isEqualTo(500);
			assertThat(AppUnderTest.json(response).path("outcome").asString()).isEqualTo("FAILED");
			after = app.status();
		}
		Duration took = Duration.ofNanos(System.nanoTime() - t0);
		JsonNode last = after.path("lastUpgrade");
		assertThat(last.path("outcome").asString()).as("%s", after).isEqualTo("FAILED");
		assertThat(after.path("generation").asInt()).as("%s", after).isEqualTo(app.generation());
		assertThat(after.path("pid").asLong()).as("%s", after).isEqualTo(app.pid());
		Long childPid = last.path("childPid").isNumber() ? last.path("childPid").asLong() : null;
		if (childPid != null) {
			Procfs.awaitGone(childPid, Duration.ofSeconds(30));
		}
		Failed failed = new Failed(trigger, childPid, last.path("reason").asString(), took);
		System.out.println("[bad] ## " + failed);
		return failed;
	}

	/**
	 * Return whether a new connection is served by a later generation than the given one.
	 */
	private static boolean servedByNewer(AppUnderTest app, int generation) {
		try {
			Http.Response response = Http.get(app.port(), "/", Duration.ofSeconds(5));
			String served = response.header("X-Generation");
			return response.status() == 200 && served != null && Integer.parseInt(served) > generation;
		}
		catch (RuntimeException ex) {
			return false;
		}
	}

	/**
	 * Start generation 1 in a directory of its own (the drain timeout is the default's 30
	 * s) and wait until it serves and owns the PID file.
	 * @param name the scenario
	 * @param args more application arguments
	 * @return the application
	 */
	private AppUnderTest start(String name, String... args) {
		AppUnderTest app = new AppUnderTest(this.dir.resolve(name));
		try {
			List<String> all = new ArrayList<>(List.of(args));
			all.add("--zerodowntime.drain-timeout=30s");
			app.start((builder) -> builder.jvmArgs("-Xmx256m"), all.toArray(String[]::new));
			app.awaitGeneration(1);
			return app;
		}
		catch (RuntimeException | Error ex) {
			app.close();
			throw ex;
		}
	}

	private static Duration max(Duration a, Duration b) {
		return (a.compareTo(b) >= 0) ? a : b;
	}

	private static void steady() throws InterruptedException {
		// the load runs against one generation for a while: part of the load's shape
		TimeUnit.MILLISECONDS.sleep(STEADY.toMillis());
	}

	/**
	 * Assert what every scenario promises, all at once so that a failure shows
	 * everything.
	 * @param app the generations
	 * @param probe the connect probe
	 * @param wrk what wrk saw
	 * @param hey what hey saw
	 * @param inFlight requests that spanned a trigger: each must have been answered, 200,
	 * by one of the generations expected
	 */
	private static void assertNoFailure(AppUnderTest app, ClientLoop probe, ExternalLoad.Result wrk,
			ExternalLoad.Result hey, List<Answered> inFlight) {
		probe.close();
		int successes = app.handovers().size();
		System.out.println("[load] ## handovers: " + app.handovers());
		System.out.println("[load] ## " + wrk.summary());
		System.out.println("[load] ## " + hey.summary());
		inFlight.forEach((answer) -> System.out.println("[in-flight] " + answer.outcome()));
		System.out.println("[load] ## probe: " + probe);
		SoftAssertions softly = new SoftAssertions();
		for (ExternalLoad.Result load : List.of(wrk, hey)) {
			softly.assertThat(load.requests()).as("%s: requests", load.name()).isGreaterThan(100);
			softly.assertThat(load.errors()).as("%s: failed requests, by kind", load.name()).isEmpty();
			softly.assertThat(load.non2xx()).as("%s: responses outside 2xx", load.name()).isZero();
		}
		softly.assertThat(wrk.generations().keySet())
			.as("%s: generations that served it", wrk.name())
			.containsAll(IntStream.rangeClosed(1, successes + 1).boxed().toList())
			.doesNotContain(0);
		for (Answered answer : inFlight) {
			InFlight.Outcome outcome = answer.outcome();
			softly.assertThat(outcome.error()).as("%s", outcome).isNull();
			softly.assertThat(outcome.status()).as("%s", outcome).isEqualTo(200);
			softly.assertThat(outcome.generation())
				.as("%s: answered by generation %s", outcome, answer.by())
				.isIn(answer.by().stream().map(String::valueOf).toList());
		}
		softly.assertThat(probe.failures()).as("connections the probe could not make").isEmpty();
		softly.assertThat(probe.ok())
			.as("probe connections in %s", probe.elapsed())
			.isGreaterThanOrEqualTo(probe.elapsed().toMillis() / ClientLoop.PROBE_INTERVAL.toMillis() / 2);
		JsonNode status = app.status();
		softly.assertThat(app.generation()).as("final generation").isEqualTo(successes + 1);
		softly.assertThat(status.path("generation").asInt())
			.as("generation serving %s", status)
			.isEqualTo(successes + 1);
		softly.check(() -> assertThat(app.assertOneGenerationServing(successes + 1))
			.as("the only generation left is the one followed")
			.isEqualTo(app.pid()));
		softly.check(() -> app.assertNoOrphans(app.pid()));
		softly.check(app::assertNoZombies);
		softly.assertAll();
	}

}
