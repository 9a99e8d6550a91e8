package io.zerodowntime.sample.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A release extracted and trained the way {@code zerodowntime-deploy --train} does it:
 * generation 2 maps the archive generation 1's command names (per {@code -Xlog:cds}), and
 * an archive that a newer jar made stale is dropped from generation 3's command with one
 * warning saying why.
 */
class ClassDataArchiveIT {

	private static final Duration TRAINING = Duration.ofSeconds(180);

	@TempDir
	Path dir;

	@Test
	void generationTwoMapsTheTrainedArchiveAndAStaleOneIsDroppedWithAWarning() throws Exception {
		try (FaultLoadApp app = new FaultLoadApp(this.dir)) {
			extract(app);
			List<String> archiveOptions = List.of("-XX:SharedArchiveFile=app.jsa",
					"-Xlog:cds=info:file=" + this.dir.resolve("cds-%p.log"));

			// training: the exact command of every generation, with the archive written at exit
			List<String> trainingArgs = new ArrayList<>(app.defaultArgs());
			trainingArgs.add("--spring.context.exit=onRefresh");
			try (AppProcess training = AppProcess.builder("train")
				.jar(app.jar())
				.directory(this.dir)
				.jvmArgs(FaultLoadApp.JVM_OPTIONS.toArray(String[]::new))
				.jvmArgs("-XX:ArchiveClassesAtExit=app.jsa", "-Dspring.context.exit=onRefresh")
				.args(trainingArgs.toArray(String[]::new))
				.start()) {
				assertThat(training.awaitExit(TRAINING)).as("training run exit code").isZero();
			}
			assertThat(this.dir.resolve("app.jsa")).as("trained archive").isNotEmptyFile();
			assertThat(app.pidFile()).as("PID file after a training run").doesNotExist();

			app.start((builder) -> builder.jvmArgs(archiveOptions.toArray(String[]::new)));
			long gen1 = app.awaitServing(1);
			assertThat(cdsLog(gen1)).as("generation 1's -Xlog:cds").contains("Mapped dynamic region");

			JsonNode upgrade = FaultLoadApp.json(app.postUpgrade());
			assertThat(upgrade.path("outcome").asString()).as("first upgrade: %s", upgrade).isEqualTo("SUCCEEDED");
			long gen2 = app.awaitServing(2);
			assertThat(cmdline(gen2)).as("generation 2's command")
				.contains("-XX:SharedArchiveFile=app.jsa")
				.doesNotContain("--enable-native-access=ALL-UNNAMED");
			assertThat(cdsLog(gen2)).as("generation 2's -Xlog:cds")
				.contains("Mapped dynamic region")
				.doesNotContainIgnoringCase("mismatch");

			// a library of the release changes after training: the archive is stale
			try (Stream<Path> libs = Files.list(this.dir.resolve("lib"))) {
				Path lib = libs.filter((p) -> p.toString().endsWith(".jar")).findFirst().orElseThrow();
				Files.setLastModifiedTime(lib, FileTime.from(Instant.now().plusSeconds(5)));
			}
			JsonNode second = FaultLoadApp.json(app.postUpgradeOncePredecessorIsGone());
			assertThat(second.path("outcome").asString()).as("second upgrade: %s", second).isEqualTo("SUCCEEDED");
			long gen3 = app.awaitServing(3);
			assertThat(app.count("WARN .*Not using the class-data archive named by -XX:SharedArchiveFile=app.jsa "
					+ "for the next generation: .*app.jsa \\(.*\\) is older than .*lib/.*\\.jar")).as("warnings")
				.isEqualTo(1);
			assertThat(cmdline(gen3)).as("generation 3's command")
				.doesNotContain("-XX:SharedArchiveFile=app.jsa")
				.contains("--enable-native-access=ALL-UNNAMED");
		}
	}

	private void extract(FaultLoadApp app) throws IOException, InterruptedException {
		Path fat = this.dir.resolve("fat.jar");
		Files.move(app.jar(), fat);
		Process extract = new ProcessBuilder(AppProcess.java().toString(), "-Djarmode=tools", "-jar", fat.toString(),
				"extract", "--destination", this.dir.toString(), "--application-filename", "app.jar", "--force")
			.redirectErrorStream(true)
			.redirectOutput(this.dir.resolve("extract.log").toFile())
			.start();
		assertThat(extract.waitFor()).as("extract: %s", FaultLoadApp.read(this.dir.resolve("extract.log"))).isZero();
		assertThat(app.jar()).isNotEmptyFile();
		assertThat(this.dir.resolve("lib")).isDirectory();
	}

	private String cdsLog(long pid) {
		return FaultLoadApp.read(this.dir.resolve("cds-" + pid + ".log"));
	}

	private static List<String> cmdline(long pid) throws IOException {
		String raw = Files.readString(Path.of("/proc/" + pid + "/cmdline"));
		return List.of(raw.split("\0"));
	}

}
