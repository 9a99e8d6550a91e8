package io.zerodowntime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

class ReleaseFileTests {

	@TempDir
	Path dir;

	@Test
	void commandWithoutJarHasNoReleaseFile() {
		assertThat(ReleaseFile.of(List.of("java", "-cp", "classes", "Main"), this.dir)).isNull();
	}

	@Test
	void untouchedJarMayBeUsed() throws IOException {
		ReleaseFile release = ReleaseFile.of(List.of("java", "-jar", "app.jar"), jar("v1"));
		assertThat(release.problem()).isNull();
	}

	@Test
	void jarReplacedByRenameMayBeUsed() throws IOException {
		ReleaseFile release = ReleaseFile.of(List.of("java", "-jar", "app.jar"), jar("v1"));
		Path next = this.dir.resolve("app.jar.tmp");
		Files.writeString(next, "v2 is longer");
		Files.move(next, this.dir.resolve("app.jar"), StandardCopyOption.ATOMIC_MOVE,
				StandardCopyOption.REPLACE_EXISTING);
		assertThat(release.problem()).isNull();
	}

	@Test
	void jarOverwrittenInPlaceIsRefusedWithTheWayToDeploy() throws IOException {
		ReleaseFile release = ReleaseFile.of(List.of("java", "-jar", "app.jar"), jar("v1"));
		Path jar = this.dir.resolve("app.jar");
		Files.writeString(jar, "v2 is longer");
		Files.setLastModifiedTime(jar, FileTime.from(Instant.now().plusSeconds(5)));
		assertThat(release.problem()).contains("was overwritten in place")
			.contains("atomic rename")
			.contains("mv " + jar + ".tmp " + jar);
	}

	@Test
	void jarDeletedUnderTheRunningGenerationIsNoProblemForIt() throws IOException {
		ReleaseFile release = ReleaseFile.of(List.of("java", "-jar", "app.jar"), jar("v1"));
		Files.delete(this.dir.resolve("app.jar"));
		assertThat(release.problem()).as("the JVM holds its jar open; NextRelease checks the next one").isNull();
	}

	@Test
	void theJarIsRecordedByItsRealPath() throws IOException {
		Path r1 = releaseDirectory("r1", "v1");
		Path current = Files.createSymbolicLink(this.dir.resolve("current"), Path.of("releases/r1"));
		ReleaseFile release = ReleaseFile.of(List.of("java", "-jar", current + "/app.jar"), this.dir);
		assertThat(release.path()).isEqualTo(r1.resolve("app.jar").toRealPath());
	}

	@Test
	void aSwitchedSymbolicLinkIsANewReleaseNotAnOverwrite() throws IOException {
		releaseDirectory("r1", "v1");
		releaseDirectory("r2", "v2 is longer");
		Path current = Files.createSymbolicLink(this.dir.resolve("current"), Path.of("releases/r1"));
		ReleaseFile release = ReleaseFile.of(List.of("java", "-jar", "app.jar"), current);
		Path next = Files.createSymbolicLink(this.dir.resolve("current.tmp"), Path.of("releases/r2"));
		Files.move(next, current, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
		assertThat(release.problem()).isNull();
	}

	@Test
	void theRunningJarOverwrittenInPlaceIsRefusedAlsoWhenItWasGivenThroughASymbolicLink() throws IOException {
		Path r1 = releaseDirectory("r1", "v1");
		Path current = Files.createSymbolicLink(this.dir.resolve("current"), Path.of("releases/r1"));
		ReleaseFile release = ReleaseFile.of(List.of("java", "-jar", current + "/app.jar"), this.dir);
		releaseDirectory("r2", "v2");
		Files.delete(current);
		Files.createSymbolicLink(current, Path.of("releases/r2"));
		Path jar = r1.resolve("app.jar").toRealPath();
		Files.writeString(jar, "v1 patched in place");
		Files.setLastModifiedTime(jar, FileTime.from(Instant.now().plusSeconds(5)));
		assertThat(release.problem()).contains(jar + " was overwritten in place");
	}

	private Path releaseDirectory(String name, String content) throws IOException {
		Path release = Files.createDirectories(this.dir.resolve("releases").resolve(name));
		Files.writeString(release.resolve("app.jar"), content);
		return release;
	}

	private Path jar(String content) throws IOException {
		Files.writeString(this.dir.resolve("app.jar"), content);
		return this.dir;
	}

}
