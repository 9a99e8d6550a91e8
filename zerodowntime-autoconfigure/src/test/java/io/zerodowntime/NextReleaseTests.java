package io.zerodowntime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link NextRelease} on a real directory layout: {@code current} a symbolic
 * link to {@code releases/r1}, switched to {@code r2}.
 */
class NextReleaseTests {

	@TempDir
	Path dir;

	private Path current;

	private Path r1;

	private Path r2;

	@BeforeEach
	void layOutTwoReleases() throws IOException {
		this.dir = this.dir.toRealPath();
		this.r1 = release("r1");
		this.r2 = release("r2");
		this.current = Files.createSymbolicLink(this.dir.resolve("current"), Path.of("releases/r1"));
	}

	@Test
	void whenCurrentIsSwitchedThenTheNextGenerationStartsInTheNewRelease() throws IOException {
		NextRelease release = startedInCurrent(List.of());
		switchCurrentTo("r2");
		assertThat(release.problem()).isNull();
		assertThat(release.directory().path()).isEqualTo(this.current.toString());
		assertThat(release.describe()).isEqualTo("in " + this.current + " (now " + this.r2 + ") from " + this.current
				+ "/app.jar (now " + this.r2.resolve("app.jar") + ")");
	}

	@Test
	void aConfiguredCommandWithARelativeJarIsResolvedInTheLogicalDirectory() throws IOException {
		NextRelease release = startedInCurrent(List.of("/usr/bin/java", "-jar", "app.jar", "--server.port=0"));
		switchCurrentTo("r2");
		assertThat(release.command()).contains("app.jar", "--server.port=0");
		assertThat(release.describe()).endsWith("(now " + this.r2.resolve("app.jar") + ")");
	}

	@Test
	void whenTheOldReleaseIsDeletedAfterTheSwitchThenUpgradingIsFine() throws IOException {
		NextRelease release = startedInCurrent(List.of());
		switchCurrentTo("r2");
		Files.delete(this.r1.resolve("app.jar"));
		Files.delete(this.r1);
		assertThat(release.problem()).isNull();
	}

	@Test
	void whenTheWorkingDirectoryIsGoneThenTheUpgradeIsRefusedUntilItIsBack() throws IOException {
		NextRelease release = startedInCurrent(List.of());
		Files.delete(this.current);
		assertThat(release.problem()).contains("the working directory of the next generation, " + this.current)
			.contains("no longer exists");
		switchCurrentTo("r2");
		assertThat(release.problem()).isNull();
	}

	@Test
	void whenTheNextJarIsMissingThenTheUpgradeIsRefusedWithTheWayToDeploy() throws IOException {
		NextRelease release = startedInCurrent(List.of());
		Files.delete(this.r2.resolve("app.jar"));
		switchCurrentTo("r2");
		assertThat(release.problem()).contains("the application jar " + this.current + "/app.jar is missing")
			.contains("atomic rename");
	}

	/**
	 * As if started with {@code java -jar app.jar} in {@code current}, {@code $PWD}
	 * naming it.
	 */
	private NextRelease startedInCurrent(List<String> configured) {
		List<String> command = List.of("/usr/bin/java", "-jar", "app.jar");
		WorkingDirectory directory = WorkingDirectory.choose(this.r1.toString(), this.current.toString(), command,
				WorkingDirectory.Lookup.FILE_SYSTEM);
		assertThat(directory.source()).isEqualTo("$PWD");
		List<String> next = CommandLine.withNativeAccess(configured.isEmpty() ? command : configured);
		return new NextRelease((dir, warn) -> next, directory, ReleaseFile.of(command, this.r1),
				WorkingDirectory.Lookup.FILE_SYSTEM);
	}

	private void switchCurrentTo(String name) throws IOException {
		Path next = Files.createSymbolicLink(this.dir.resolve("current.tmp"), Path.of("releases", name));
		Files.move(next, this.current, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
	}

	private Path release(String name) throws IOException {
		Path release = Files.createDirectories(this.dir.resolve("releases").resolve(name));
		Files.writeString(release.resolve("app.jar"), "jar of " + name);
		return release;
	}

}
