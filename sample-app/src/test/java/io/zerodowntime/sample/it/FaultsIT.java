package io.zerodowntime.sample.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Bad releases, one after another against the same running generation, under a client
 * load: a new generation that throws during context refresh, dies after its web server
 * started, hangs, exits at once, or cannot be spawned at all. Each time the upgrade fails
 * with the reason in the POST response, in {@code lastUpgrade} and in the log; generation
 * 1 serves every request; nothing is left behind (checked after every attempt). Then a
 * good release upgrades: a failed upgrade does not prevent the next one.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class FaultsIT {

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
	 * The new release is made bad through the configuration file it reads: it throws
	 * during context refresh; it dies after its web server started. Then a good release.
	 */
	@Test
	void releasesThatThrowOrDieLeaveTheOldGenerationServing() {
		this.app.start();
		long gen1 = this.app.awaitServing(1);
		AppUnderTest.Snapshot fresh = this.app.baseline(gen1);
		ClientLoop load = ClientLoop.start(this.app.port(), CLIENTS);
		try {
			load.awaitMoreOk(20, Duration.ofSeconds(30));

			step("the new generation throws during context refresh");
			this.app.configureNextGeneration("sample.fail-on-start=true");
			expectFailure(load, fresh,
					"failed to start: IllegalStateException: sample.fail-on-start=true: this release refuses to start",
					true);

			step("the new generation dies after its web server started, before it is ready");
			this.app.configureNextGeneration("sample.exit-after-web-server=true");
			expectFailure(load, fresh, "exited before it was ready", true);

			step("a good release");
			this.app.configureNextGeneration("");
			expectSuccess(load);
		}
		finally {
			load.close();
		}
		this.app.assertEndState(load, 2, fresh);
	}

	/**
	 * The new release hangs during startup: it is stopped (SIGTERM, 5 s, SIGKILL) at the
	 * upgrade timeout, 8 s here.
	 */
	@Test
	void aReleaseThatHangsIsStoppedAtTheUpgradeTimeout() {
		this.app.start("--zerodowntime.upgrade-timeout=8s");
		long gen1 = this.app.awaitServing(1);
		AppUnderTest.Snapshot fresh = this.app.baseline(gen1);
		ClientLoop load = ClientLoop.start(this.app.port(), CLIENTS);
		try {
			load.awaitMoreOk(20, Duration.ofSeconds(30));
			step("the new generation hangs and is stopped at the upgrade timeout");
			this.app.configureNextGeneration("sample.hang-on-start=true");
			JsonNode last = expectFailure(load, fresh, "was not ready within the upgrade timeout of 8000 ms", true);
			assertThat(last.get("durationMs").asLong()).as("duration of the upgrade that timed out")
				.isBetween(8000L, 8000L + 5000 + 5000);
		}
		finally {
			load.close();
		}
		this.app.assertEndState(load, 1, fresh);
	}

	/**
	 * {@code zerodowntime.command} names a program that does not exist, then one that is
	 * not executable (nothing is spawned either time), then one that starts a JVM whose
	 * main class does not exist (it exits at once). Then a real java.
	 */
	@Test
	void releasesThatCannotBeSpawnedOrExitAtOnceLeaveTheOldGenerationServing() throws IOException {
		Path java = this.dir.resolve("jdk/bin/java");
		List<String> command = new ArrayList<>(List.of(java.toString(), "-jar", this.app.jar().toString()));
		command.addAll(this.app.defaultArgs());
		this.app.start("--zerodowntime.command=" + String.join(",", command));
		long gen1 = this.app.awaitServing(1);
		AppUnderTest.Snapshot fresh = this.app.baseline(gen1);
		ClientLoop load = ClientLoop.start(this.app.port(), CLIENTS);
		try {
			load.awaitMoreOk(20, Duration.ofSeconds(30));

			step("zerodowntime.command names a program that does not exist");
			expectFailure(load, fresh, "Unable to start the next generation: " + java + " does not exist", false);

			step("zerodowntime.command names a file that is not executable");
			Files.createDirectories(java.getParent());
			Files.writeString(java, "#!/bin/sh\nexit 0\n");
			Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rw-r--r--"));
			expectFailure(load, fresh, "Unable to start the next generation: " + java + " is not executable", false);
			assertThat(this.app.javaPidsSeen()).as("java processes ever started").containsExactlyInAnyOrder(gen1);

			step("the new generation's main class does not exist: it exits at once");
			Files.writeString(java, "#!/bin/sh\nexec '" + AppUnderTest.java() + "' -cp '" + this.app.jar()
					+ "' io.zerodowntime.sample.NoSuchApplication\n");
			Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
			expectFailure(load, fresh, "exited before it was ready", true);
			this.app.awaitLog(
					Pattern.quote("Could not find or load main class io.zerodowntime.sample.NoSuchApplication"),
					Duration.ofSeconds(5));

			step("a real java");
			Files.delete(java);
			Files.createSymbolicLink(java, AppUnderTest.java().toRealPath());
			expectSuccess(load);
		}
		finally {
			load.close();
		}
		this.app.assertEndState(load, 2, fresh);
	}

	private static void step(String what) {
		System.out.println("[fault] ---- " + what + " ----");
	}

	/**
	 * POST an upgrade that must fail, and check the reason in the response, in
	 * {@code lastUpgrade} and in the log; that the new generation, if one was started, is
	 * gone; and that generation 1 still serves, alone, with nothing leaked.
	 */
	private JsonNode expectFailure(ClientLoop load, AppUnderTest.Snapshot fresh, String reason, boolean childStarted) {
		long gen1 = fresh.pid();
		long failuresBefore = this.app.count("Generation 1 \\(pid " + gen1 + "\\): upgrade failed after");
		Http.Response post = this.app.postUpgrade();
		System.out.println("[fault] POST /actuator/upgrade: " + post.status() + " " + post.text());
		assertThat(post.status()).as("POST /actuator/upgrade: %s", post).isEqualTo(500);
		JsonNode body = AppUnderTest.json(post);
		assertThat(body.get("outcome").asString()).isEqualTo("FAILED");
		assertThat(body.get("reason").asString()).as("reason in the POST response").contains(reason);
		JsonNode status = this.app.status();
		JsonNode last = status.get("lastUpgrade");
		assertThat(last.isNull()).as("lastUpgrade in %s", status).isFalse();
		assertThat(last.get("outcome").asString()).isEqualTo("FAILED");
		assertThat(last.get("reason").asString()).as("lastUpgrade.reason").isEqualTo(body.get("reason").asString());
		assertThat(status.get("generation").asInt()).isEqualTo(1);
		assertThat(status.get("pid").asLong()).isEqualTo(gen1);
		assertThat(status.get("state").asString()).isEqualTo("SERVING");
		this.app.awaitLog("Generation 1 \\(pid " + gen1 + "\\): upgrade failed after \\d+ ms: .*"
				+ Pattern.quote(reason) + ".*; this generation keeps serving", Duration.ofSeconds(5));
		assertThat(this.app.count("Generation 1 \\(pid " + gen1 + "\\): upgrade failed after"))
			.as("log lines of failed upgrades")
			.isEqualTo(failuresBefore + 1);
		JsonNode childPid = last.get("childPid");
		if (childStarted) {
			assertThat(childPid.isNull()).as("lastUpgrade.childPid in %s", last).isFalse();
			long child = childPid.asLong();
			await("the failed new generation (pid " + child + ") to be gone").atMost(Duration.ofSeconds(15))
				.until(() -> !Procfs.running(child));
		}
		else {
			assertThat(childPid.isNull()).as("lastUpgrade.childPid when nothing could be spawned").isTrue();
		}
		load.awaitMoreOk(20, Duration.ofSeconds(30));
		load.pause();
		try {
			assertThat(load.failures()).as("failed client requests (%s)", load.summary()).isEmpty();
			long serving = this.app.assertOneGenerationServing(1);
			this.app.assertNoOrphans(serving);
			this.app.assertNoZombies();
			this.app.assertFds(fresh, serving);
		}
		finally {
			load.resume();
		}
		return last;
	}

	private void expectSuccess(ClientLoop load) {
		Http.Response post = this.app.postUpgrade();
		System.out.println("[fault] POST /actuator/upgrade: " + post.status() + " " + post.text());
		assertThat(post.status()).as("POST /actuator/upgrade: %s", post).isEqualTo(200);
		long gen2 = this.app.awaitServing(2);
		assertThat(AppUnderTest.json(post).get("pid").asLong()).isEqualTo(gen2);
		assertThat(this.app.awaitExit(Duration.ofSeconds(60))).as("exit code of generation 1").isZero();
		load.awaitMoreOk(20, Duration.ofSeconds(30));
	}

}
