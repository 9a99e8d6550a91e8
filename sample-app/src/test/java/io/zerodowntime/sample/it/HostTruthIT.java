package io.zerodowntime.sample.it;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What the host does to a generation, told truthfully: a PID file that cannot be written
 * (read-only file system, full disk, deleted directory), a platform the native layer does
 * not support, and a systemd unit that cannot follow an upgrade.
 *
 * <p>
 * The PID file lives on a small tmpfs mounted in a mount namespace of the generations'
 * own ({@code unshare --mount}): the test makes it read-only or full from outside with
 * {@code nsenter}, reads it through {@code /proc/<pid>/root}, and nothing is left mounted
 * on the host when the generations are gone.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class HostTruthIT {

	private static final int CLIENTS = 3;

	@TempDir
	Path dir;

	private AppUnderTest app;

	private final List<AppUnderTest> others = new ArrayList<>();

	@AfterEach
	void stopEverything() {
		this.others.forEach(AppUnderTest::close);
		if (this.app != null) {
			this.app.close();
		}
	}

	/**
	 * Generation 1 cannot write its PID file (its directory is on a read-only file
	 * system): it does not start, and the failure analysis names the file, the error and
	 * the fix.
	 */
	@Test
	void generationOneRefusesToStartWhenItCannotWriteItsPidFile() throws IOException {
		Path run = mountPoint();
		Path pidFile = run.resolve("app/app.pid");
		this.app = new AppUnderTest(this.dir.resolve("app"));
		this.app.start(inOwnMountNamespace(run, "ro,size=1m"), "--zerodowntime.pid-file=" + pidFile);
		assertThat(this.app.awaitExit(AppUnderTest.STARTUP)).as("exit code of generation 1").isOne();
		String problem = "Unable to write PID file " + pidFile + ": Read-only file system (creating the directory "
				+ pidFile.getParent() + ")";
		List<String> lines = this.app.lines();
		int description = lines.indexOf("Description:");
		assertThat(description).as("failure analysis in:\n%s", this.app.output()).isPositive();
		assertThat(lines.get(description - 3)).isEqualTo("APPLICATION FAILED TO START");
		assertThat(lines.get(description + 2)).startsWith(problem + ". The service manager and deploy scripts");
		assertThat(lines.get(description + 4)).isEqualTo("Action:");
		assertThat(lines.get(description + 6)).startsWith("Make " + pidFile.getParent() + " writable by this process")
			.contains("RuntimeDirectory=")
			.contains("zerodowntime.pid-file");
		this.app.assertNoOrphans(-1);
	}

	/**
	 * A new generation cannot write the PID file: its directory was made read-only, then
	 * its file system full. Each time the upgrade fails naming the PID file error,
	 * generation 1 serves every request and the PID file still names it. Then space is
	 * freed and the directory deleted (a cleanup): the next upgrade succeeds and
	 * re-creates it. The PID file always names the generation serving.
	 */
	@Test
	void aGenerationThatCannotWriteThePidFileFailsTheUpgradeAndTheServingOneKeepsIt() throws IOException {
		Path run = mountPoint();
		Path pidFile = run.resolve("app/app.pid");
		this.app = new AppUnderTest(this.dir.resolve("app"));
		this.app.start(inOwnMountNamespace(run, "size=1m"), "--zerodowntime.pid-file=" + pidFile);
		long gen1 = this.app.awaitServing(1);
		// generation 1 answers as soon as Tomcat runs; it writes the PID file once ready
		await("the PID file to name generation 1").atMost(AppUnderTest.STARTUP)
			.ignoreExceptions()
			.until(() -> readPidFile(gen1, pidFile) == gen1);
		AppUnderTest.Snapshot fresh = this.app.baseline(gen1);
		ClientLoop load = ClientLoop.start(this.app.port(), CLIENTS);
		try {
			load.awaitMoreOk(20, Duration.ofSeconds(30));

			step("the PID file's file system is read-only");
			AppUnderTest.run("nsenter", "-t", Long.toString(gen1), "-m", "mount", "-o", "remount,ro", run.toString());
			expectPidFileFailure(load, gen1, pidFile, "Unable to write PID file " + pidFile
					+ ": Read-only file system (creating a temporary file in " + pidFile.getParent() + ")");

			step("the PID file's file system is full");
			AppUnderTest.run("nsenter", "-t", Long.toString(gen1), "-m", "mount", "-o", "remount,rw", run.toString());
			Path filler = inNamespace(gen1, run.resolve("filler"));
			fill(filler);
			expectPidFileFailure(load, gen1, pidFile, "Unable to write PID file " + pidFile
					+ ": No space left on device (writing " + pidFile.getParent() + "/.app.pid");

			step("space freed, and the PID file's directory deleted meanwhile: the upgrade re-creates it");
			Files.delete(filler);
			Path directory = inNamespace(gen1, pidFile.getParent());
			Files.delete(directory.resolve("app.pid"));
			Files.delete(directory);
			long gen2 = expectSuccess(load, 2, this.app.postUpgrade());
			assertThat(readPidFile(gen2, pidFile)).isEqualTo(gen2);
			assertThat(this.app.awaitExit(Duration.ofSeconds(60))).as("exit code of generation 1").isZero();
			assertThat(readPidFile(gen2, pidFile)).as("PID file after generation 1 exited").isEqualTo(gen2);
		}
		finally {
			load.close();
		}
		this.app.assertEndState(load, 2, fresh);
	}

	/**
	 * On a platform the native layer does not support (faked with {@code os.name}) and
	 * {@code zerodowntime.enabled=true}, the application starts as Spring Boot makes it,
	 * with one warning; the endpoint says why upgrades are not available; POST and SIGHUP
	 * are refused with that reason; nothing native is loaded and no PID file is written.
	 */
	@Test
	void onAnUnsupportedPlatformTheApplicationStartsAsSpringBootMakesItAndRefusesEveryUpgrade() {
		Path classes = this.dir.resolve("classes.log");
		Path pidFile = this.dir.resolve("app.pid");
		AppUnderTest freebsd = launch("freebsd",
				(launch) -> launch.jvmArgs("-Dos.name=FreeBSD", "-Xlog:class+load=info:file=" + classes)
					.args("--zerodowntime.pid-file=" + pidFile));
		int port = freebsd.port();
		freebsd.awaitLog("Started SampleApplication", AppUnderTest.STARTUP);
		long pid = freebsd.jvmPid();
		Http.Response hello = Http.get(port, "/");
		assertThat(hello.status()).isEqualTo(200);
		assertThat(hello.header("X-Generation")).isEqualTo("1");
		assertThat(hello.header("X-Pid")).isEqualTo(Long.toString(pid));

		String reason = "zero-downtime upgrades are not available on FreeBSD/amd64: listener handover and posix_spawn "
				+ "are only implemented for Linux on x86_64 and aarch64 (glibc)";
		JsonNode status = AppUnderTest.json(Http.get(port, "/actuator/upgrade"));
		System.out.println("[truth] GET /actuator/upgrade: " + status);
		assertThat(status.get("state").asString()).isEqualTo("UNSUPPORTED");
		assertThat(status.get("upgradesUnavailable").asString()).isEqualTo(reason);
		assertThat(status.get("pid").asLong()).isEqualTo(pid);
		assertThat(status.get("listeners").isEmpty()).isTrue();

		Http.Response post = Http.post(port, "/actuator/upgrade", Http.JSON, Duration.ofSeconds(30));
		System.out.println("[truth] POST /actuator/upgrade: " + post.status() + " " + post.text());
		assertThat(post.status()).isEqualTo(409);
		assertThat(AppUnderTest.json(post).get("outcome").asString()).isEqualTo("REFUSED");
		assertThat(AppUnderTest.json(post).get("reason").asString()).isEqualTo(reason);

		Procfs.signal(pid, "HUP");
		await("the SIGHUP to be refused").atMost(Duration.ofSeconds(20))
			.until(() -> freebsd.count("refused an upgrade \\(trigger: .*\\): " + Pattern.quote(reason)) == 2);
		assertThat(Http.get(port, "/").status()).as("GET / after SIGHUP").isEqualTo(200);
		assertThat(freebsd.isAlive()).isTrue();

		assertThat(freebsd.lines().stream().filter((line) -> line.contains(" WARN "))).as("WARN lines")
			.singleElement()
			.asString()
			.contains("zerodowntime.enabled=true, but " + reason)
			.contains("zerodowntime.pid-file is not written")
			.contains("refused");
		assertThat(pidFile).doesNotExist();
		List<String> loaded = AppUnderTest.read(classes).lines().toList();
		assertThat(loaded).as("classes loaded").anyMatch((line) -> line.contains(" io.zerodowntime.Upgrader "));
		assertThat(loaded).as("native classes loaded")
			.noneMatch((line) -> line.contains(" jnr.") || line.contains(" com.kenai.jffi.")
					|| line.contains(" io.zerodowntime.Posix") || line.contains(" io.zerodowntime.ProcessState "));
	}

	/**
	 * Started by systemd ({@code INVOCATION_ID}) with neither {@code NOTIFY_SOCKET} nor a
	 * PID file, as a {@code Type=simple} unit does: one warning with the fix. Started
	 * outside systemd: none.
	 */
	@Test
	void aSystemdUnitThatCannotFollowAnUpgradeGetsOneWarningWithTheFix() {
		AppUnderTest simpleUnit = launch("type-simple",
				(launch) -> launch.env("INVOCATION_ID", "6d3a0c1f2b8e4f0a9c7d5e3b1a2f4c6e").unsetEnv("NOTIFY_SOCKET"));
		AppUnderTest outside = launch("no-systemd",
				(launch) -> launch.unsetEnv("INVOCATION_ID").unsetEnv("NOTIFY_SOCKET"));
		simpleUnit.awaitLog("Generation 1 \\(pid \\d+\\) is ready", AppUnderTest.STARTUP);
		outside.awaitLog("Generation 1 \\(pid \\d+\\) is ready", AppUnderTest.STARTUP);
		assertThat(simpleUnit.lines().stream().filter((line) -> line.contains("INVOCATION_ID")))
			.as("warnings about the unit")
			.singleElement()
			.asString()
			.contains(" WARN ")
			.contains("Type=simple or Type=exec")
			.contains("Type=notify")
			.contains("PIDFile=")
			.contains("zerodowntime.pid-file");
		assertThat(outside.lines()).as("output outside systemd").noneMatch((line) -> line.contains("INVOCATION_ID"));
	}

	private Path mountPoint() throws IOException {
		return Files.createDirectories(this.dir.resolve("run"));
	}

	/**
	 * Start generation 1 in a mount namespace of its own, with a tmpfs at a mount point
	 * (every later generation inherits the namespace).
	 */
	private static UnaryOperator<AppUnderTest.Launch> inOwnMountNamespace(Path mountPoint, String options) {
		return (builder) -> builder.launcher("unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
				"mount -t tmpfs -o " + options + " zerodowntime-test \"$0\" && exec \"$@\"", mountPoint.toString());
	}

	/** A path as a process in the generations' mount namespace sees it. */
	private static Path inNamespace(long pid, Path path) {
		return Path.of("/proc/" + pid + "/root" + path);
	}

	private static long readPidFile(long pid, Path pidFile) throws IOException {
		return Long.parseLong(Files.readString(inNamespace(pid, pidFile), StandardCharsets.US_ASCII).trim());
	}

	private static void fill(Path file) {
		byte[] block = new byte[4096];
		try (OutputStream out = Files.newOutputStream(file)) {
			while (true) {
				out.write(block);
				out.flush();
			}
		}
		catch (IOException ex) {
			assertThat(ex.getMessage()).as("filling %s", file).contains("No space left on device");
		}
	}

	/**
	 * POST an upgrade that must fail because the new generation cannot write the PID
	 * file: the reason names it, generation 1 serves alone with no failed request, and
	 * the PID file still names generation 1.
	 */
	private void expectPidFileFailure(ClientLoop load, long gen1, Path pidFile, String problem) throws IOException {
		Http.Response post = this.app.postUpgrade();
		System.out.println("[truth] POST /actuator/upgrade: " + post.status() + " " + post.text());
		assertThat(post.status()).as("POST /actuator/upgrade: %s", post).isEqualTo(500);
		JsonNode body = AppUnderTest.json(post);
		assertThat(body.get("outcome").asString()).isEqualTo("FAILED");
		assertThat(body.get("reason").asString()).as("reason")
			.matches("the new generation \\(pid \\d+\\) failed to start: .*")
			.contains(problem)
			.contains("Fix: make " + pidFile.getParent() + " writable by this process");
		JsonNode status = this.app.status();
		assertThat(status.get("state").asString()).isEqualTo("SERVING");
		assertThat(status.get("lastUpgrade").get("reason").asString()).isEqualTo(body.get("reason").asString());
		long child = status.get("lastUpgrade").get("childPid").asLong();
		await("the failed new generation (pid " + child + ") to be gone").atMost(Duration.ofSeconds(30))
			.until(() -> !Procfs.running(child));
		assertThat(readPidFile(gen1, pidFile)).as("PID file after the failed upgrade").isEqualTo(gen1);
		load.awaitMoreOk(20, Duration.ofSeconds(30));
		assertThat(load.failures()).as("failed client requests (%s)", load.summary()).isEmpty();
		assertThat(this.app.assertOneGenerationServing(1)).isEqualTo(gen1);
	}

	private long expectSuccess(ClientLoop load, int generation, Http.Response post) {
		System.out.println("[truth] POST /actuator/upgrade: " + post.status() + " " + post.text());
		assertThat(post.status()).as("POST /actuator/upgrade: %s", post).isEqualTo(200);
		long pid = this.app.awaitServing(generation);
		assertThat(AppUnderTest.json(post).get("pid").asLong()).isEqualTo(pid);
		load.awaitMoreOk(20, Duration.ofSeconds(30));
		return pid;
	}

	/**
	 * Start an application with only its port as argument (and what the customizer adds).
	 */
	private AppUnderTest launch(String name, UnaryOperator<AppUnderTest.Launch> customizer) {
		AppUnderTest app = new AppUnderTest(this.dir.resolve(name));
		this.others.add(app);
		app.launch((launch) -> customizer.apply(launch.args("--server.port=" + app.port())));
		return app;
	}

	private static void step(String what) {
		System.out.println("[truth] ---- " + what + " ----");
	}

}
