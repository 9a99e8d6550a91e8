package io.zerodowntime.sample.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Upgrades the packaged sample app for real: SIGHUP and POST /actuator/upgrade, with a
 * client loop running across each handover that must see no failure.
 */
class UpgradeIT {

	@TempDir
	Path dir;

	private AppProcess app;

	@AfterEach
	void cleanUp() {
		if (this.app != null) {
			this.app.close();
		}
	}

	@Test
	void hupAndPostUpgradeWithoutAFailedRequest() throws Exception {
		int port = Net.freePort();
		Path pidFile = this.dir.resolve("app.pid");
		Path jar = this.dir.resolve("app.jar");
		Files.copy(AppProcess.jar(), jar);
		this.app = AppProcess.builder("gen")
			.jar(jar)
			.args("--server.port=" + port, "--zerodowntime.pid-file=" + pidFile)
			.start();
		long gen1 = awaitServing(port, pidFile, 1);
		List<String> failures = new ArrayList<>();
		AtomicInteger ok = new AtomicInteger();
		AtomicBoolean running = new AtomicBoolean(true);
		Thread load = new Thread(() -> {
			long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
			while (running.get() && System.nanoTime() < deadline) {
				try {
					Http.Response response = Http.get(port, "/", Duration.ofSeconds(20));
					if (response.status() == 200) {
						ok.incrementAndGet();
					}
					else {
						synchronized (failures) {
							failures.add("status " + response.status());
						}
					}
				}
				catch (RuntimeException ex) {
					synchronized (failures) {
						failures.add(ex.toString());
					}
				}
			}
		}, "upgrade-it-load");
		load.start();
		try {
			new ProcessBuilder("kill", "-HUP", Long.toString(gen1)).inheritIO().start().waitFor();
			long gen2 = awaitServing(port, pidFile, 2);
			this.app.alsoKill(gen2);
			assertThat(gen2).isNotEqualTo(gen1);
			await().atMost(Duration.ofSeconds(60))
				.until(() -> !ProcessHandle.of(gen1).map(ProcessHandle::isAlive).orElse(false));
			assertThat(Http.get(port, "/actuator/upgrade").text()).contains("\"parentPid\":" + gen1)
				.contains("\"generation\":2");
			Http.Response post = postUpgradeOnceParentIsGone(port);
			assertThat(post.status()).as(post.text()).isEqualTo(200);
			assertThat(post.text()).contains("\"outcome\":\"SUCCEEDED\"").contains("\"generation\":3");
			long gen3 = awaitServing(port, pidFile, 3);
			this.app.alsoKill(gen3);
			await().atMost(Duration.ofSeconds(60))
				.until(() -> !ProcessHandle.of(gen2).map(ProcessHandle::isAlive).orElse(false));
		}
		finally {
			running.set(false);
			load.join();
		}
		assertThat(failures).isEmpty();
		assertThat(ok.get()).isGreaterThan(10);
	}

	/**
	 * The new generation learns of its parent's exit a moment after the process is gone.
	 */
	private Http.Response postUpgradeOnceParentIsGone(int port) {
		return await().atMost(Duration.ofSeconds(30))
			.pollInterval(Duration.ofMillis(100))
			.until(() -> Http.postEmptyJson(port, "/actuator/upgrade", Duration.ofSeconds(90)),
					(response) -> response.status() != 409 || !response.text().contains("has not exited"));
	}

	private long awaitServing(int port, Path pidFile, int generation) {
		return await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> {
			try {
				Http.Response response = Http.get(port, "/", Duration.ofSeconds(5));
				if (response.status() == 200 && Integer.toString(generation).equals(response.header("X-Generation"))
						&& Files.exists(pidFile)) {
					return Long.parseLong(response.header("X-Pid"));
				}
			}
			catch (RuntimeException ex) {
				// not up yet
			}
			return null;
		}, (pid) -> pid != null);
	}

}
