package io.zerodowntime;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link WorkingDirectory}, against a fake file system where each directory is
 * known by its device and inode, as the kernel knows it.
 */
class WorkingDirectoryTests {

	private static final String R1 = "/opt/app/releases/r1";

	private static final String R2 = "/opt/app/releases/r2";

	private static final List<String> RELATIVE_JAR = List.of("/usr/bin/java", "-jar", "app.jar");

	private final FakeFiles files = new FakeFiles();

	@Test
	void whenPwdNamesTheSameDirectoryAsUserDirThenTheNextGenerationStartsFromPwd() {
		this.files.link("/opt/app/current", R1);
		WorkingDirectory directory = WorkingDirectory.choose(R1, "/opt/app/current", RELATIVE_JAR, this.files);
		assertThat(directory.path()).isEqualTo("/opt/app/current");
		assertThat(directory.source()).isEqualTo("$PWD");
		assertThat(directory.physical()).isEqualTo(R1);
	}

	@Test
	void whenTheSymbolicLinkIsSwitchedThenTheSameLogicalDirectoryLeadsToTheNewRelease() {
		this.files.link("/opt/app/current", R1);
		WorkingDirectory directory = WorkingDirectory.choose(R1, "/opt/app/current", RELATIVE_JAR, this.files);
		this.files.link("/opt/app/current", R2);
		assertThat(directory.problem(this.files)).isNull();
		assertThat(directory.path()).isEqualTo("/opt/app/current");
		assertThat(directory.describe(this.files)).isEqualTo("/opt/app/current (now " + R2 + ")");
	}

	@Test
	void whenPwdIsStaleThenUserDirIsUsed() {
		this.files.directory("/home/operator");
		WorkingDirectory directory = WorkingDirectory.choose(R1, "/home/operator", RELATIVE_JAR, this.files);
		assertThat(directory.path()).isEqualTo(R1);
		assertThat(directory.source()).isEqualTo("user.dir");
	}

	@Test
	void whenPwdIsRelativeOrMissingThenUserDirIsUsed() {
		this.files.link("/opt/app/current", R1);
		assertThat(WorkingDirectory.choose(R1, "current", RELATIVE_JAR, this.files).path()).isEqualTo(R1);
		assertThat(WorkingDirectory.choose(R1, null, RELATIVE_JAR, this.files).path()).isEqualTo(R1);
		assertThat(WorkingDirectory.choose(R1, "/no/such/dir", RELATIVE_JAR, this.files).path()).isEqualTo(R1);
	}

	@Test
	void whenNoPwdButTheJarIsGivenThroughTheSameDirectoryThenThatDirectoryIsUsed() {
		this.files.link("/opt/app/current", R1);
		List<String> command = List.of("/usr/bin/java", "-Xmx1g", "-jar", "/opt/app/current/app.jar", "--x=1");
		WorkingDirectory directory = WorkingDirectory.choose(R1, null, command, this.files);
		assertThat(directory.path()).isEqualTo("/opt/app/current");
		assertThat(directory.source()).isEqualTo("the -jar path");
	}

	@Test
	void whenTheJarIsGivenThroughAnotherDirectoryThenUserDirIsUsed() {
		this.files.link("/opt/app/current", R1);
		this.files.directory("/srv/work");
		List<String> command = List.of("/usr/bin/java", "-jar", "/opt/app/current/app.jar");
		WorkingDirectory directory = WorkingDirectory.choose("/srv/work", "/somewhere/else", command, this.files);
		assertThat(directory.path()).isEqualTo("/srv/work");
		assertThat(directory.source()).isEqualTo("user.dir");
	}

	@Test
	void pwdWinsOverTheJarPathAndTrailingSlashesAreDropped() {
		this.files.link("/opt/app/current", R1);
		this.files.link("/opt/app/live", R1);
		List<String> command = List.of("/usr/bin/java", "-jar", "/opt/app/current/app.jar");
		WorkingDirectory directory = WorkingDirectory.choose(R1, "/opt/app/live//", command, this.files);
		assertThat(directory.path()).isEqualTo("/opt/app/live");
	}

	@Test
	void whenThePathIsNotUtf8ItIsKeptByteForByte() {
		String latin1 = "/opt/app/caf\u00e9";
		this.files.link(latin1, R1);
		WorkingDirectory directory = WorkingDirectory.choose(R1, latin1, RELATIVE_JAR, this.files);
		assertThat(ByteStrings.toBytes(directory.path())).containsExactly(ByteStrings.toBytes(latin1));
	}

	@Test
	void whenTheDirectoryIsDeletedThenTheProblemNamesItAndTheFix() {
		this.files.link("/opt/app/current", R1);
		WorkingDirectory directory = WorkingDirectory.choose(R1, "/opt/app/current", RELATIVE_JAR, this.files);
		this.files.delete("/opt/app/current");
		assertThat(directory.problem(this.files)).contains("/opt/app/current")
			.contains("no longer exists")
			.contains("point /opt/app/current at the release to run again (ln -sfn releases/NEW /opt/app/current)")
			.contains("then upgrade again");
		this.files.link("/opt/app/current", R2);
		assertThat(directory.problem(this.files)).isNull();
	}

	@Test
	void whenAPhysicalDirectoryIsDeletedAndCreatedAgainThenItIsUsedAgain() {
		WorkingDirectory directory = WorkingDirectory.choose(R1, null, RELATIVE_JAR, this.files);
		this.files.delete(R1);
		assertThat(directory.problem(this.files)).contains(R1 + ", no longer exists")
			.contains("create it again (mkdir -p " + R1);
		this.files.directory(R1);
		assertThat(directory.problem(this.files)).isNull();
		assertThat(directory.describe(this.files)).isEqualTo(R1);
	}

	/** Directories by path; a link is a path that leads to another one's inode. */
	static final class FakeFiles implements WorkingDirectory.Lookup {

		private final Map<String, String> targets = new HashMap<>();

		private final Map<String, Long> inodes = new HashMap<>();

		private long nextInode = 100;

		FakeFiles() {
			directory(R1);
			directory(R2);
		}

		void directory(String path) {
			this.targets.put(path, path);
			this.inodes.put(path, this.nextInode++);
		}

		void link(String path, String target) {
			this.targets.put(path, target);
		}

		void delete(String path) {
			this.targets.remove(path);
			this.inodes.remove(path);
		}

		@Override
		public Object directoryKey(String path) {
			String real = realPath(path);
			return (real != null) ? List.of(1L, this.inodes.get(real)) : null;
		}

		@Override
		public String realPath(String path) {
			String target = this.targets.get(path);
			return (target != null && this.inodes.containsKey(target)) ? target : null;
		}

	}

}
