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
	void missingJarIsRefused() throws IOException {
		ReleaseFile release = ReleaseFile.of(List.of("java", "-jar", "app.jar"), jar("v1"));
		Files.delete(this.dir.resolve("app.jar"));
		assertThat(release.problem()).contains("is missing");
	}

	private Path jar(String content) throws IOException {
		Files.writeString(this.dir.resolve("app.jar"), content);
		return this.dir;
	}

}
