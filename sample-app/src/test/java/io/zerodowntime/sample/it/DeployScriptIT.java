package io.zerodowntime.sample.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The deploy script ({@code src/main/systemd/bin/zerodowntime-deploy}) against the
 * packaged app, without systemd ({@code --url}: it POSTs to the upgrade endpoint;
 * {@code --socket}: it asks through the control socket; both wait for the outcome): with
 * no application named it refuses (no default), a new release goes live, a broken jar is
 * rejected before anything changes, a release that fails to start leaves the previous jar
 * in place and the running generation serving, so does a release that takes the traffic
 * and dies a second later (rolled back during its probation, 5 s here), and a rollback is
 * one command.
 */
@Timeout(value = 400, unit = TimeUnit.SECONDS)
class DeployScriptIT {

	private static final Duration STARTUP = Duration.ofSeconds(90);

	private static final Path BIN = Path.of(System.getProperty("sampleApp.systemdDir", "src/main/systemd"), "bin")
		.toAbsolutePath();

	@TempDir
	Path dir;

	private AppUnderTest app;

	@AfterEach
	void cleanUp() {
		if (this.app != null) {
			this.app.close();
		}
	}

	@Test
	void deploysRejectsBrokenJarsPutsBackTheJarOfAFailedReleaseAndRollsBack() throws Exception {
		AppUnderTest.requireTool("/usr/bin/curl", "curl", "the deploy script's upgrade trigger needs it");
		assertThat(BIN.resolve("zerodowntime-deploy")).as("the deploy script").isRegularFile();
		int[] ports = Http.freePorts(2);
		int port = ports[0];
		int management = ports[1];
		Path installed = Files.createDirectories(this.dir.resolve("opt")).resolve("sample-app.jar");
		Path release1 = Files.copy(AppUnderTest.appJar(), this.dir.resolve("release-1.jar"));
		Files.copy(release1, installed);
		Path release2 = release(release1, "release-2.jar", "BOOT-INF/classes/release.txt", "release 2\n");
		Path failing = release(release1, "release-bad.jar", "BOOT-INF/classes/application.properties",
				new String(Files.readAllBytes(extract(release1, "BOOT-INF/classes/application.properties")),
						StandardCharsets.UTF_8) + "\nsample.fail-on-start=true\n");
		Path crashing = release(release1, "release-crash.jar", "BOOT-INF/classes/application.properties",
				new String(Files.readAllBytes(extract(release1, "BOOT-INF/classes/application.properties")),
						StandardCharsets.UTF_8) + "\nsample.exit-after-ready=1s\n");
		Path truncated = this.dir.resolve("truncated.jar");
		Files.write(truncated, java.util.Arrays.copyOf(Files.readAllBytes(release1), 100_000));
		Path text = Files.writeString(this.dir.resolve("notes.jar"), "not a jar at all\n");
		String url = "http://127.0.0.1:" + management + "/actuator/upgrade";

		Path socket = this.dir.resolve("run/control.sock");

		// no application named: no default, a usage error before anything changes
		Result unnamed = deploy(release2.toString());
		assertThat(unnamed.code()).as(unnamed.output()).isEqualTo(2);
		assertThat(unnamed.output()).contains("name the application: --unit UNIT under systemd, or --socket PATH");
		assertThat(installed).hasSameBinaryContentAs(release1);

		// every generation runs the installed jar
		this.app = new AppUnderTest(this.dir.resolve("app"), installed);
		this.app.launch((launch) -> launch.jar(installed)
			.args("--server.port=" + port, "--management.server.port=" + management,
					"--zerodowntime.control-socket=" + socket, "--zerodowntime.probation=5s"));
		long gen1 = this.app.jvmPid();
		await().atMost(STARTUP)
			.pollInterval(Duration.ofMillis(200))
			.ignoreExceptions()
			.until(() -> Http.get(port, "/").status() == 200);

		// a new release: swapped in by rename, and the new generation runs it
		Result deployed = deploy("--url", url, release2.toString());
		assertThat(deployed.code()).as(deployed.output()).isZero();
		assertThat(deployed.output()).contains("deployed: generation 2 (pid ");
		long gen2 = Long.parseLong(Http.get(port, "/").header("X-Pid"));
		assertThat(Http.get(port, "/").header("X-Generation")).isEqualTo("2");
		assertThat(installed).hasSameBinaryContentAs(release2);
		assertThat(sibling(installed, ".previous")).hasSameBinaryContentAs(release1);
		assertThat(openInodes(gen2)).as("files open in generation 2").contains(inode(installed));
		await("generation 1 to drain and exit").atMost(STARTUP).until(() -> !this.app.isAlive());
		assertThat(ProcessHandle.of(gen1).map(ProcessHandle::isAlive).orElse(false)).isFalse();

		// broken jars and the same jar again: rejected, nothing changes
		for (Path bad : List.of(truncated, text, release2, this.dir.resolve("missing.jar"))) {
			Result rejected = deploy("--url", url, bad.toString());
			assertThat(rejected.code()).as("exit code for %s: %s", bad, rejected.output()).isEqualTo(3);
			assertThat(rejected.output()).contains("rejected " + bad);
			assertThat(installed).hasSameBinaryContentAs(release2);
			assertThat(sibling(installed, ".previous")).hasSameBinaryContentAs(release1);
		}
		assertThat(deploy("--url", url, truncated.toString()).output()).contains("not a complete jar");
		assertThat(deploy("--url", url, text.toString()).output()).contains("not a jar");
		assertThat(deploy("--url", url, release2.toString()).output()).contains("identical");
		assertThat(Http.get(port, "/").header("X-Pid")).isEqualTo(Long.toString(gen2));
		try (Stream<Path> files = Files.list(installed.getParent())) {
			assertThat(files.map((p) -> p.getFileName().toString())).as("files beside the jar after the rejections")
				.doesNotContain(".sample-app.jar.incoming", ".sample-app.jar.keep");
		}

		// a release that fails to start: the previous jar goes back, generation 2 serves
		// on
		Result failed = deploy("--url", url, failing.toString());
		assertThat(failed.code()).as(failed.output()).isEqualTo(1);
		assertThat(failed.output()).contains("deploy failed").contains("refuses to start");
		assertThat(installed).hasSameBinaryContentAs(release2);
		assertThat(sibling(installed, ".previous")).hasSameBinaryContentAs(release1);
		assertThat(sibling(installed, ".failed")).hasSameBinaryContentAs(failing);
		Http.Response still = Http.get(port, "/");
		assertThat(still.header("X-Generation")).isEqualTo("2");
		assertThat(still.header("X-Pid")).isEqualTo(Long.toString(gen2));

		// a release that takes the traffic and dies a second later: rolled back during
		// its
		// probation, the previous jar goes back, generation 2 serves on
		Result crashed = deploy("--url", url, crashing.toString());
		assertThat(crashed.code()).as(crashed.output()).isEqualTo(1);
		assertThat(crashed.output()).contains("upgrade rolled back")
			.contains("exited during its probation")
			.contains("rolled back to the running generation")
			.contains("put the previous jar back as " + installed);
		assertThat(installed).hasSameBinaryContentAs(release2);
		assertThat(sibling(installed, ".previous")).hasSameBinaryContentAs(release1);
		assertThat(sibling(installed, ".failed")).hasSameBinaryContentAs(crashing);
		Http.Response afterRollback = Http.get(port, "/");
		assertThat(afterRollback.header("X-Generation")).isEqualTo("2");
		assertThat(afterRollback.header("X-Pid")).isEqualTo(Long.toString(gen2));

		// rollback: one command, back to release 1 in generation 3, through the control
		// socket
		Result rolledBack = deploy("--socket", socket.toString(), "--rollback");
		assertThat(rolledBack.code()).as(rolledBack.output()).isZero();
		assertThat(rolledBack.output()).contains("deployed: generation 3 (pid ");
		long gen3 = Long.parseLong(Http.get(port, "/").header("X-Pid"));
		assertThat(Http.get(port, "/").header("X-Generation")).isEqualTo("3");
		assertThat(installed).hasSameBinaryContentAs(release1);
		assertThat(sibling(installed, ".previous")).hasSameBinaryContentAs(release2);
		assertThat(openInodes(gen3)).as("files open in generation 3").contains(inode(installed));
	}

	private Result deploy(String... args) throws IOException, InterruptedException {
		List<String> command = new ArrayList<>(List.of("bash", BIN.resolve("zerodowntime-deploy").toString(), "--jar",
				this.dir.resolve("opt/sample-app.jar").toString(), "--timeout", "150"));
		command.addAll(List.of(args));
		Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
		process.getOutputStream().close();
		String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		if (!process.waitFor(200, TimeUnit.SECONDS)) {
			process.destroyForcibly();
		}
		System.out.println("[deploy " + String.join(" ", args) + "] exit " + process.exitValue() + "\n" + output);
		return new Result(process.exitValue(), output);
	}

	/**
	 * A copy of a jar with one entry added or replaced (the archive rewritten by the zip
	 * file system).
	 */
	private Path release(Path base, String name, String entry, String content) throws IOException {
		Path jar = Files.copy(base, this.dir.resolve(name));
		try (FileSystem zip = FileSystems.newFileSystem(jar)) {
			Files.writeString(zip.getPath(entry), content, StandardOpenOption.CREATE,
					StandardOpenOption.TRUNCATE_EXISTING);
		}
		return jar;
	}

	private Path extract(Path jar, String entry) throws IOException {
		Path target = Files.createTempFile(this.dir, "entry", ".txt");
		try (FileSystem zip = FileSystems.newFileSystem(jar)) {
			Files.copy(zip.getPath(entry), target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
		}
		return target;
	}

	private static Path sibling(Path jar, String suffix) {
		return jar.resolveSibling(jar.getFileName() + suffix);
	}

	private static Object inode(Path file) throws IOException {
		return Files.getAttribute(file, "unix:ino");
	}

	/** Inodes of the regular files a process holds open. */
	private static List<Object> openInodes(long pid) {
		List<Object> inodes = new ArrayList<>();
		for (Map.Entry<Integer, String> fd : Procfs.fds(pid).entrySet()) {
			if (fd.getValue().startsWith("/")) {
				try {
					inodes.add(Files.getAttribute(Path.of("/proc", Long.toString(pid), "fd", fd.getKey().toString()),
							"unix:ino"));
				}
				catch (IOException ex) {
					// closed meanwhile
				}
				catch (UncheckedIOException ex) {
					// closed meanwhile
				}
			}
		}
		return inodes;
	}

	private record Result(int code, String output) {
	}

}
