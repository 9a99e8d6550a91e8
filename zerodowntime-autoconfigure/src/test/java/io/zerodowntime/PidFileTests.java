package io.zerodowntime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIOException;

/**
 * Tests for {@link PidFile}.
 */
class PidFileTests {

	@TempDir
	Path temp;

	@Test
	void writeLeavesThePidAndANewlineAndNoTemporaryFile() throws IOException {
		Path path = this.temp.resolve("app.pid");
		new PidFile(path).write(4242);
		assertThat(Files.readString(path, StandardCharsets.US_ASCII)).isEqualTo("4242\n");
		assertThat(list(this.temp)).containsExactly("app.pid");
	}

	@Test
	void writeReplacesAnEarlierPid() throws IOException {
		Path path = this.temp.resolve("app.pid");
		PidFile pidFile = new PidFile(path);
		pidFile.write(1);
		pidFile.write(1234567);
		assertThat(Files.readString(path, StandardCharsets.US_ASCII)).isEqualTo("1234567\n");
		assertThat(list(this.temp)).containsExactly("app.pid");
	}

	@Test
	void writeCreatesTheFileReadableByAllAndWritableOnlyByItsOwner() throws IOException {
		Path path = this.temp.resolve("app.pid");
		Files.writeString(path, "1\n");
		Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-rw-rw-"));
		new PidFile(path).write(4242);
		Set<PosixFilePermission> expected = PosixFilePermissions.fromString("rw-r--r--");
		expected.removeAll(umask());
		assertThat(Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS)).isEqualTo(expected);
	}

	@Test
	void writeReplacesASymbolicLinkAndLeavesItsTargetAlone() throws IOException {
		Path victim = this.temp.resolve("victim");
		Files.writeString(victim, "precious\n");
		Path path = this.temp.resolve("app.pid");
		Files.createSymbolicLink(path, victim);
		new PidFile(path).write(4242);
		assertThat(Files.isSymbolicLink(path)).isFalse();
		assertThat(Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)).isTrue();
		assertThat(Files.readString(path, StandardCharsets.US_ASCII)).isEqualTo("4242\n");
		assertThat(Files.readString(victim, StandardCharsets.US_ASCII)).isEqualTo("precious\n");
		assertThat(list(this.temp)).containsExactlyInAnyOrder("app.pid", "victim");
	}

	@Test
	void writeCreatesMissingParentDirectories() throws IOException {
		Path path = this.temp.resolve("run/app/deep/app.pid");
		new PidFile(path).write(4242);
		assertThat(Files.readString(path, StandardCharsets.US_ASCII)).isEqualTo("4242\n");
		assertThat(list(path.getParent())).containsExactly("app.pid");
	}

	@Test
	void writeThatFailsLeavesNoTemporaryFileBehind() throws IOException {
		Path path = this.temp.resolve("app.pid");
		Files.createDirectories(path);
		Files.writeString(path.resolve("occupied"), "x");
		assertThatIOException().isThrownBy(() -> new PidFile(path).write(4242));
		assertThat(list(this.temp)).containsExactly("app.pid");
		assertThat(list(path)).containsExactly("occupied");
	}

	@Test
	void writeThatFailsNamesThePidFileTheErrorAndTheStep() throws IOException {
		Path path = this.temp.resolve("app.pid");
		Files.createDirectories(path);
		Files.writeString(path.resolve("occupied"), "x");
		assertThatIOException().isThrownBy(() -> new PidFile(path).write(4242))
			.withMessageStartingWith("Unable to write PID file " + path + ": ")
			.withMessageContaining("(renaming " + this.temp + "/.app.pid")
			.withMessageEndingWith(".tmp to " + path + ")");
	}

	@Test
	void writeWhereTheDirectoryCannotBeCreatedNamesIt() throws IOException {
		Path file = this.temp.resolve("not-a-directory");
		Files.writeString(file, "x");
		Path path = file.resolve("app.pid");
		assertThatIOException().isThrownBy(() -> new PidFile(path).write(4242))
			.withMessage(
					"Unable to write PID file " + path + ": Not a directory (creating the directory " + file + ")");
	}

	@Test
	void writeRecreatesADeletedDirectory() throws IOException {
		Path directory = this.temp.resolve("run/app");
		Path path = directory.resolve("app.pid");
		PidFile pidFile = new PidFile(path);
		pidFile.write(1);
		Files.delete(path);
		Files.delete(directory);
		pidFile.write(4242);
		assertThat(Files.readString(path, StandardCharsets.US_ASCII)).isEqualTo("4242\n");
	}

	@Test
	void errorTextIsTheSystemsTextOfEachFailure() {
		assertThat(PidFile.errorText(new FileSystemException("/run/app/x", null, "Read-only file system")))
			.isEqualTo("Read-only file system");
		assertThat(PidFile.errorText(new IOException("No space left on device"))).isEqualTo("No space left on device");
		assertThat(PidFile.errorText(new AccessDeniedException("/run/app/x"))).isEqualTo("Permission denied");
		assertThat(PidFile.errorText(new NoSuchFileException("/run/app/x"))).isEqualTo("No such file or directory");
		assertThat(PidFile.errorText(new NotDirectoryException("/run/app"))).isEqualTo("Not a directory");
		assertThat(PidFile.errorText(new AtomicMoveNotSupportedException("/a", "/b", null)))
			.isEqualTo("its directory does not support an atomic rename");
	}

	@Test
	void relativePathIsMadeAbsolute() {
		assertThat(new PidFile(Path.of("app.pid")).path()).isAbsolute().isEqualTo(Path.of("app.pid").toAbsolutePath());
	}

	@Test
	void deleteIfOwnedByDeletesOnlyAFileHoldingThatPid() throws IOException {
		Path path = this.temp.resolve("app.pid");
		PidFile pidFile = new PidFile(path);
		pidFile.write(4242);
		pidFile.deleteIfOwnedBy(4243);
		pidFile.deleteIfOwnedBy(424);
		assertThat(path).exists();
		pidFile.deleteIfOwnedBy(4242);
		assertThat(path).doesNotExist();
	}

	@Test
	void deleteIfOwnedByIgnoresAMissingFile() throws IOException {
		Path path = this.temp.resolve("app.pid");
		new PidFile(path).deleteIfOwnedBy(4242);
		assertThat(path).doesNotExist();
	}

	@Test
	void deleteIfOwnedByNeverFollowsASymbolicLink() throws IOException {
		Path victim = this.temp.resolve("victim");
		Files.writeString(victim, "4242\n");
		Path path = this.temp.resolve("app.pid");
		Files.createSymbolicLink(path, victim);
		new PidFile(path).deleteIfOwnedBy(4242);
		assertThat(Files.isSymbolicLink(path)).isTrue();
		assertThat(victim).hasContent("4242");
	}

	private static List<String> list(Path directory) throws IOException {
		try (Stream<Path> entries = Files.list(directory)) {
			return entries.map((entry) -> entry.getFileName().toString()).toList();
		}
	}

	/**
	 * The permissions this process's umask takes away, from {@code /proc/self/status}.
	 */
	private static Set<PosixFilePermission> umask() throws IOException {
		Set<PosixFilePermission> masked = EnumSet.noneOf(PosixFilePermission.class);
		int mask = Files.readAllLines(Path.of("/proc/self/status"))
			.stream()
			.filter((line) -> line.startsWith("Umask:"))
			.map((line) -> Integer.parseInt(line.substring("Umask:".length()).trim(), 8))
			.findFirst()
			.orElse(0022);
		PosixFilePermission[] byBit = { PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
				PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE,
				PosixFilePermission.GROUP_READ, PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
				PosixFilePermission.OWNER_READ };
		for (int bit = 0; bit < byBit.length; bit++) {
			if ((mask & (1 << bit)) != 0) {
				masked.add(byBit[bit]);
			}
		}
		return masked;
	}

}
