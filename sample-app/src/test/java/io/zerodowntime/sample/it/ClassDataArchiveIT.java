package io.zerodowntime.sample.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Releases extracted and trained as docs/performance.md says, in the release layout
 * ({@code current -> releases/<name>}, the archive beside the jar): the first one by the
 * CI recipe, the next by {@code zerodowntime-deploy --train}. Generation 2 maps the
 * archive of the release it starts from (per {@code -Xlog:cds}), with no option added
 * that would invalidate it; an archive a newer jar made stale is dropped from generation
 * 3's command, with one warning saying why. Training runs write no PID file.
 */
class ClassDataArchiveIT {

	private static final Duration TRAINING = Duration.ofSeconds(180);

	private static final Path BIN = Path.of(System.getProperty("sampleApp.systemdDir", "src/main/systemd"), "bin")
		.toAbsolutePath();

	@TempDir
	Path dir;

	@Test
	void generationTwoMapsTheArchiveTrainedAtDeployAndAStaleOneIsDroppedWithAWarning() throws Exception {
		AppUnderTest.requireTool("/usr/bin/curl", "curl", "the deploy script's upgrade trigger needs it");
		// every generation runs current/app.jar
		try (AppUnderTest app = new AppUnderTest(this.dir, this.dir.resolve("current").resolve("app.jar"))) {
			run(app);
		}
	}

	private void run(AppUnderTest app) throws Exception {
		Path current = this.dir.resolve("current");
		Path first = this.dir.resolve("releases/first");
		Path archive = current.resolve("app.jsa");

		// the CI recipe: extract, train with the exact command, at the path it runs from
		extract(app.jar(), first);
		List<String> trainingArgs = new ArrayList<>(app.defaultArgs());
		try (AppUnderTest training = new AppUnderTest(this.dir.resolve("training"))) {
			training.launch((launch) -> launch.jar(first.resolve("app.jar"))
				.directory(this.dir)
				.jvmArgs("-XX:ArchiveClassesAtExit=" + first.resolve("app.jsa"), "-Dspring.context.exit=onRefresh")
				.args(trainingArgs.toArray(String[]::new)));
			assertThat(training.awaitExit(TRAINING)).as("training run exit code").isZero();
		}
		assertThat(first.resolve("app.jsa")).as("trained archive").isNotEmptyFile();
		assertThat(app.pidFile()).as("PID file after a training run").doesNotExist();
		Files.createSymbolicLink(current, this.dir.relativize(first));

		app.start((builder) -> builder.jar(current.resolve("app.jar"))
			.jvmArgs("-XX:SharedArchiveFile=" + archive, "-Xlog:cds=info:file=" + this.dir.resolve("cds-%p.log")));
		long gen1 = app.awaitServing(1);
		assertThat(cdsLog(gen1)).as("generation 1's -Xlog:cds").contains("Mapped dynamic region");

		// the next release, by the deploy script: extract, train, switch current, upgrade
		Process deploy = new ProcessBuilder(BIN.resolve("zerodowntime-deploy").toString(), "--train", "--jar",
				current.resolve("app.jar").toString(), "--url", "http://127.0.0.1:" + app.port() + "/actuator/upgrade",
				app.jar().toString())
			.redirectErrorStream(true)
			.redirectOutput(this.dir.resolve("deploy.out").toFile())
			.start();
		assertThat(deploy.waitFor(240, TimeUnit.SECONDS)).as("deploy finished").isTrue();
		String deployed = AppUnderTest.read(this.dir.resolve("deploy.out"));
		System.out.println("[deploy] " + deployed.replace("\n", "\n[deploy] "));
		assertThat(deploy.exitValue()).as("deploy exit status: %s", deployed).isZero();
		long gen2 = app.awaitServing(2);
		Path second = current.toRealPath();
		assertThat(second.getFileName().toString()).as("current after the deploy").startsWith("app-");
		assertThat(second.resolve("app.jsa")).as("the new release's archive").isNotEmptyFile();
		assertThat(cmdline(gen2)).as("generation 2's command")
			.contains("-XX:SharedArchiveFile=" + archive)
			.doesNotContain("--enable-native-access=ALL-UNNAMED");
		assertThat(cdsLog(gen2)).as("generation 2's -Xlog:cds")
			.contains("Mapped dynamic region")
			.doesNotContainIgnoringCase("mismatch");
		assertThat(Files.readString(app.pidFile()).trim()).isEqualTo(Long.toString(gen2));

		// a library of the release changes after training: the archive is stale
		try (Stream<Path> libs = Files.list(second.resolve("lib"))) {
			Path lib = libs.filter((p) -> p.toString().endsWith(".jar")).findFirst().orElseThrow();
			Files.setLastModifiedTime(lib, FileTime.from(Instant.now().plusSeconds(5)));
		}
		JsonNode upgrade = AppUnderTest.json(app.postUpgradeOncePredecessorIsGone());
		assertThat(upgrade.path("outcome").asString()).as("upgrade: %s", upgrade).isEqualTo("SUCCEEDED");
		long gen3 = app.awaitServing(3);
		assertThat(app.count("WARN .*Not using the class-data archive named by -XX:SharedArchiveFile="
				+ Pattern.quote(archive.toString())
				+ " for the next generation: .*app.jsa \\(.*\\) is older than .*/lib/.*\\.jar"))
			.as("warnings")
			.isEqualTo(1);
		assertThat(cmdline(gen3)).as("generation 3's command")
			.doesNotContain("-XX:SharedArchiveFile=" + archive)
			.contains("--enable-native-access=ALL-UNNAMED");
	}

	private void extract(Path jar, Path destination) throws IOException, InterruptedException {
		Process extract = new ProcessBuilder(AppUnderTest.java().toString(), "-Djarmode=tools", "-jar", jar.toString(),
				"extract", "--destination", destination.toString(), "--application-filename", "app.jar")
			.redirectErrorStream(true)
			.redirectOutput(this.dir.resolve("extract.log").toFile())
			.start();
		assertThat(extract.waitFor()).as("extract: %s", AppUnderTest.read(this.dir.resolve("extract.log"))).isZero();
		assertThat(destination.resolve("lib")).isDirectory();
	}

	private String cdsLog(long pid) {
		return AppUnderTest.read(this.dir.resolve("cds-" + pid + ".log"));
	}

	private static List<String> cmdline(long pid) throws IOException {
		return Procfs.of(pid).orElseThrow().argv();
	}

}
