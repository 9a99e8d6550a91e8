package io.zerodowntime;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link ClassDataArchive} and how {@link CommandLine} applies it.
 */
class ClassDataArchiveTests {

	private static final Instant BUILT = Instant.parse("2026-12-01T10:00:00Z");

	@TempDir
	Path dir;

	private final List<String> warnings = new ArrayList<>();

	@Test
	void whenTheArchiveIsNewerThanTheJarTheCommandIsKept() throws IOException {
		jar("app.jar", BUILT);
		file("app.jsa", BUILT.plusSeconds(60));
		List<String> command = List.of("/usr/bin/java", "-XX:SharedArchiveFile=app.jsa", "-Xmx256m", "-jar", "app.jar");
		assertThat(usable(command)).isEqualTo(command);
		assertThat(this.warnings).isEmpty();
	}

	@Test
	void whenTheArchiveIsMissingItsFlagIsDroppedWithOneWarningSayingWhy() throws IOException {
		jar("app.jar", BUILT);
		List<String> command = List.of("/usr/bin/java", "-XX:SharedArchiveFile=app.jsa", "-Xmx256m", "-jar", "app.jar",
				"-XX:SharedArchiveFile=not-an-option-here");
		assertThat(usable(command)).containsExactly("/usr/bin/java", "-Xmx256m", "-jar", "app.jar",
				"-XX:SharedArchiveFile=not-an-option-here");
		assertThat(this.warnings).singleElement()
			.asString()
			.contains("-XX:SharedArchiveFile=app.jsa", this.dir.resolve("app.jsa") + " does not exist",
					"starts without -XX:SharedArchiveFile", "zerodowntime-deploy --train");
	}

	@Test
	void whenTheArchiveIsOlderThanTheJarItWasTrainedForAnotherReleaseAndIsDropped() throws IOException {
		file("app.aot", BUILT);
		jar("app.jar", BUILT.plusSeconds(60));
		List<String> command = List.of("/opt/jdk-25/bin/java", "-XX:AOTCache=app.aot", "-jar", "app.jar");
		assertThat(usable(command)).containsExactly("/opt/jdk-25/bin/java", "-jar", "app.jar");
		assertThat(this.warnings).singleElement()
			.asString()
			.contains("is older than " + this.dir.resolve("app.jar"), "trained for another release");
	}

	@Test
	void whenALibraryOfAnExtractedJarIsNewerThanTheArchiveItIsDropped() throws IOException {
		Files.createDirectories(this.dir.resolve("lib"));
		jar("lib/spring-core.jar", BUILT.plusSeconds(120));
		jar("app.jar", BUILT, "lib/spring-core.jar");
		file("app.aot", BUILT.plusSeconds(60));
		List<String> command = List.of("java", "-XX:AOTCache=app.aot", "-jar", "app.jar");
		assertThat(usable(command)).containsExactly("java", "-jar", "app.jar");
		assertThat(this.warnings).singleElement().asString().contains("spring-core.jar");
	}

	@Test
	void whenAClassPathJarIsNewerThanTheArchiveItIsDropped() throws IOException {
		Files.createDirectories(this.dir.resolve("lib"));
		jar("lib/a.jar", BUILT);
		jar("lib/b.jar", BUILT.plusSeconds(120));
		file("app.jsa", BUILT.plusSeconds(60));
		List<String> command = List.of("java", "-XX:SharedArchiveFile=app.jsa", "-cp", "lib/*", "com.example.Main");
		assertThat(usable(command)).containsExactly("java", "-cp", "lib/*", "com.example.Main");
		assertThat(this.warnings).singleElement().asString().contains("b.jar");
	}

	@Test
	void whenAnAotCacheInStrictModeIsDroppedTheModeGoesWithItOrTheJvmWouldNotStart() throws IOException {
		jar("app.jar", BUILT);
		List<String> command = List.of("java", "-XX:AOTMode=on", "-XX:AOTCache=gone.aot", "-jar", "app.jar");
		assertThat(usable(command)).containsExactly("java", "-jar", "app.jar");
		assertThat(this.warnings).singleElement().asString().contains("and -XX:AOTMode=on");
	}

	@Test
	void whenTheJvmCreatesTheArchiveItselfNothingIsChecked() throws IOException {
		jar("app.jar", BUILT);
		List<String> command = List.of("java", "-XX:+AutoCreateSharedArchive", "-XX:SharedArchiveFile=new.jsa", "-jar",
				"app.jar");
		assertThat(usable(command)).isEqualTo(command);
		assertThat(this.warnings).isEmpty();
	}

	@Test
	void whenABaseAndADynamicArchiveAreNamedBothMustExist() throws IOException {
		jar("app.jar", BUILT);
		file("base.jsa", BUILT.plusSeconds(60));
		List<String> command = List.of("java", "-XX:SharedArchiveFile=base.jsa:top.jsa", "-jar", "app.jar");
		assertThat(usable(command)).containsExactly("java", "-jar", "app.jar");
		assertThat(this.warnings).singleElement().asString().contains("top.jsa does not exist");
	}

	@Test
	void whenTheCommandNamesAnArchiveTheStarterAddsNoOptionThatWouldInvalidateIt() {
		List<String> command = List.of("/usr/bin/java", "-XX:AOTCache=app.aot", "-jar", "app.jar");
		assertThat(CommandLine.withNativeAccess(command)).isEqualTo(command);
		List<String> cds = List.of("/usr/bin/java", "-XX:SharedArchiveFile=app.jsa", "-jar", "app.jar");
		assertThat(CommandLine.withNativeAccess(cds)).isEqualTo(cds);
	}

	@Test
	void whenTheArchiveIsDroppedTheStarterAddsItsOptionsAgain() throws IOException {
		jar("app.jar", BUILT);
		List<String> command = List.of("/usr/bin/java", "-XX:AOTCache=missing.aot", "-jar", "app.jar");
		assertThat(CommandLine.withNativeAccess(usable(command))).containsExactly("/usr/bin/java",
				CommandLine.NATIVE_ACCESS, ProcessEnvironment.OPEN_JAVA_LANG, "-jar", "app.jar");
	}

	@Test
	void anArchiveNamedAfterTheMainClassIsAnArgumentOfTheApplicationNotOfTheJvm() {
		assertThat(ClassDataArchive.isNamed(List.of("java", "-jar", "app.jar", "-XX:AOTCache=app.aot"))).isFalse();
		assertThat(ClassDataArchive.isNamed(List.of("java", "-cp", "-XX:AOTCache=x", "Main"))).isFalse();
		assertThat(ClassDataArchive.isNamed(List.of("/opt/start.sh", "-XX:AOTCache=app.aot"))).isFalse();
		assertThat(ClassDataArchive.isNamed(List.of("java", "-Xmx1g", "-XX:AOTCache=a.aot", "-jar", "a.jar"))).isTrue();
	}

	@Test
	void aTrainingRunIsRecognisedFromSpringsExitProperty() {
		assertThat(TrainingRun.isActive("onRefresh", java.util.Map.of())).isTrue();
		assertThat(TrainingRun.isActive(null, java.util.Map.of("SPRING_CONTEXT_EXIT", "onRefresh"))).isTrue();
		assertThat(TrainingRun.isActive(null, java.util.Map.of())).isFalse();
		assertThat(TrainingRun.isActive("never", java.util.Map.of("SPRING_CONTEXT_EXIT", "onRefresh"))).isFalse();
	}

	private List<String> usable(List<String> command) {
		return ClassDataArchive.usable(command, this.dir, this.warnings::add);
	}

	private void file(String name, Instant modified) throws IOException {
		Path path = this.dir.resolve(name);
		Files.writeString(path, "archive");
		Files.setLastModifiedTime(path, FileTime.from(modified));
	}

	private void jar(String name, Instant modified, String... classPath) throws IOException {
		Path path = this.dir.resolve(name);
		Manifest manifest = new Manifest();
		manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
		if (classPath.length > 0) {
			manifest.getMainAttributes().put(Attributes.Name.CLASS_PATH, String.join(" ", classPath));
		}
		try (OutputStream out = Files.newOutputStream(path); JarOutputStream jar = new JarOutputStream(out, manifest)) {
			// a manifest is all it needs
		}
		Files.setLastModifiedTime(path, FileTime.from(modified));
	}

}
