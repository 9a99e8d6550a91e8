package io.zerodowntime.sample.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The packaged sample app under a stand-in for systemd's notification socket: the exact
 * {@code sd_notify} messages, and who sends them, for a start, an upgrade, a failed
 * upgrade and a stop. systemd accepts messages only from the main process
 * ({@code NotifyAccess=main}), so every message must come from the generation that is the
 * main process when it is sent, and a new generation must stay silent until it is.
 */
@Timeout(value = 400, unit = TimeUnit.SECONDS)
class SystemdNotifyIT {

	private static final Duration STARTUP = Duration.ofSeconds(90);

	private static final Duration QUICK = Duration.ofSeconds(10);

	private static final Pattern MONOTONIC = Pattern.compile("^MONOTONIC_USEC=(\\d+)$");

	@TempDir
	Path dir;

	private AppUnderTest app;

	private NotifySocket notifySocket;

	@AfterEach
	void cleanUp() {
		if (this.app != null) {
			this.app.close();
		}
		if (this.notifySocket != null) {
			this.notifySocket.close();
		}
	}

	@Test
	void startUpgradeFailedUpgradeAndStopSendTheExactMessagesFromTheMainProcess() throws Exception {
		this.notifySocket = NotifySocket.bind();
		this.app = new AppUnderTest(this.dir);
		int port = this.app.port();
		Path extra = this.dir.resolve("extra.properties");
		this.app.launch((launch) -> launch.env("NOTIFY_SOCKET", this.notifySocket.address())
			.args("--server.port=" + port, "--spring.config.additional-location=optional:file:" + extra,
					"--logging.level.io.zerodowntime.SdNotify=debug"));
		long gen1 = this.app.jvmPid();

		// start: generation 1 is the main process and says it is ready
		NotifySocket.Message ready = this.notifySocket.next(STARTUP);
		assertThat(ready.pid()).as("sender of %s", ready).isEqualTo(gen1);
		assertThat(ready.text()).isEqualTo("READY=1\nSTATUS=Generation 1 (pid " + gen1 + ") serving");
		assertThat(Http.get(port, "/").header("X-Pid")).isEqualTo(Long.toString(gen1));
		// then it stores the listener it bound in the fd store, with its fd
		NotifySocket.Message stored = this.notifySocket.next(QUICK);
		assertThat(stored.pid()).as("sender of %s", stored).isEqualTo(gen1);
		assertThat(stored.text()).isEqualTo("FDSTORE=1\nFDNAME=http");
		assertThat(stored.fds()).as("fds with %s", stored).isEqualTo(1);

		// upgrade: RELOADING=1 when it starts, then MAINPID= + READY=1 from the old
		// generation
		long beforeUpgrade = System.nanoTime() / 1000;
		Http.Response upgraded = Http.post(port, "/actuator/upgrade", Http.JSON, STARTUP);
		long afterUpgrade = System.nanoTime() / 1000;
		assertThat(upgraded.status()).as(upgraded.text()).isEqualTo(200);
		long gen2 = jsonLong(upgraded.text(), "pid");
		NotifySocket.Message reloading = this.notifySocket.next(QUICK);
		assertThat(reloading.pid()).as("sender of %s", reloading).isEqualTo(gen1);
		assertThat(reloading.lines()).hasSize(3);
		assertThat(reloading.lines().get(0)).isEqualTo("RELOADING=1");
		Matcher monotonic = MONOTONIC.matcher(reloading.lines().get(1));
		assertThat(monotonic.matches()).as("'%s' is MONOTONIC_USEC=<digits>", reloading.lines().get(1)).isTrue();
		assertThat(Long.parseLong(monotonic.group(1))).as("MONOTONIC_USEC on the test's CLOCK_MONOTONIC")
			.isBetween(beforeUpgrade, afterUpgrade);
		assertThat(reloading.lines().get(2)).isEqualTo("STATUS=Generation 1 (pid " + gen1 + ") starting generation 2");
		NotifySocket.Message handover = this.notifySocket.next(QUICK);
		assertThat(handover.pid()).as("sender of %s (the old generation, still the main process)", handover)
			.isEqualTo(gen1);
		assertThat(handover.text()).isEqualTo("MAINPID=" + gen2 + "\nREADY=1\nSTATUS=Generation 2 (pid " + gen2
				+ ") serving, upgraded from generation 1 (pid " + gen1 + ")");
		// generation 2 inherited generation 1's stdout, so wait for the process, not for
		// the end of its output
		await("generation 1 to drain and exit").atMost(STARTUP).until(() -> !this.app.isAlive());
		List<String> lines = this.app.lines();
		int sent = indexOf(lines, "Sent to " + this.notifySocket.address() + ": MAINPID=" + gen2);
		int draining = indexOf(lines, "Generation 1 (pid " + gen1 + ") draining");
		assertThat(sent).as("generation 1's log line for MAINPID=").isNotNegative();
		assertThat(draining).as("generation 1's 'draining' line, after MAINPID= was sent").isGreaterThan(sent);

		// failed upgrade: generation 2, the main process now, ends the reload with
		// READY=1 and why
		Files.writeString(extra, "sample.fail-on-start=true\n");
		Http.Response failed = postUpgradeOnceParentIsGone(port);
		assertThat(failed.status()).as(failed.text()).isEqualTo(500);
		String reason = jsonString(failed.text(), "reason");
		assertThat(reason).contains("sample.fail-on-start=true");
		NotifySocket.Message reloadingAgain = this.notifySocket.next(QUICK);
		assertThat(reloadingAgain.pid()).as("sender of %s", reloadingAgain).isEqualTo(gen2);
		assertThat(reloadingAgain.lines()).hasSize(3);
		assertThat(reloadingAgain.lines().get(0)).isEqualTo("RELOADING=1");
		assertThat(reloadingAgain.lines().get(1)).matches(MONOTONIC);
		assertThat(reloadingAgain.lines().get(2))
			.isEqualTo("STATUS=Generation 2 (pid " + gen2 + ") starting generation 3");
		NotifySocket.Message failure = this.notifySocket.next(QUICK);
		assertThat(failure.pid()).as("sender of %s", failure).isEqualTo(gen2);
		assertThat(failure.text()).isEqualTo("READY=1\nSTATUS=Generation 2 (pid " + gen2
				+ ") serving; upgrade to generation 3 failed: " + reason.replaceAll("[\\r\\n]+", " "));
		assertThat(Http.get(port, "/").header("X-Pid")).isEqualTo(Long.toString(gen2));

		// stop: SIGTERM to the serving generation, which has no successor
		ProcessHandle generation2 = ProcessHandle.of(gen2).orElseThrow();
		generation2.destroy();
		NotifySocket.Message stopping = this.notifySocket.next(QUICK);
		assertThat(stopping.pid()).as("sender of %s", stopping).isEqualTo(gen2);
		assertThat(stopping.text()).isEqualTo("STOPPING=1\nSTATUS=Generation 2 (pid " + gen2 + ") stopping");
		generation2.onExit().get(60, TimeUnit.SECONDS);

		List<NotifySocket.Message> late = this.notifySocket.quietFor(Duration.ofMillis(500));
		assertThat(late).as("messages after the stop").isEmpty();
		assertThat(this.notifySocket.received()).as("every message received")
			.extracting(NotifySocket.Message::pid)
			.containsExactly(gen1, gen1, gen1, gen1, gen2, gen2, gen2);
	}

	/**
	 * The new generation learns of its parent's exit a moment after the process is gone.
	 */
	private static Http.Response postUpgradeOnceParentIsGone(int port) {
		// the whole wait includes the POST, which lasts as long as the new generation's
		// (failing) start
		return await().atMost(STARTUP.multipliedBy(2))
			.pollInterval(Duration.ofMillis(100))
			.until(() -> Http.post(port, "/actuator/upgrade", Http.JSON, STARTUP),
					(response) -> response.status() != 409 || !response.text().contains("has not exited"));
	}

	private static int indexOf(List<String> lines, String part) {
		for (int i = 0; i < lines.size(); i++) {
			if (lines.get(i).contains(part)) {
				return i;
			}
		}
		return -1;
	}

	static long jsonLong(String json, String key) {
		Matcher matcher = Pattern.compile("\"" + Pattern.quote(key) + "\":(\\d+)").matcher(json);
		assertThat(matcher.find()).as("'%s' in %s", key, json).isTrue();
		return Long.parseLong(matcher.group(1));
	}

	static String jsonString(String json, String key) {
		Matcher matcher = Pattern.compile("\"" + Pattern.quote(key) + "\":\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(json);
		assertThat(matcher.find()).as("'%s' in %s", key, json).isTrue();
		return matcher.group(1).replace("\\\"", "\"").replace("\\n", "\n").replace("\\\\", "\\");
	}

}
