package io.zerodowntime;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIOException;

/**
 * What {@link NativeChildLauncher} does when a spawn without closefrom may have leaked a
 * descriptor ({@link DescriptorTableGrewException}): the outer shell was killed by the
 * spawn; an inner shell it started first reports its pid on the handshake and is killed
 * before it can become a generation; the launch fails.
 */
class NativeChildLauncherTests {

	private static final int PARENT_END = 50;

	private static final int CHILD_END = 51;

	private final FakeOs os = new FakeOs(100);

	@TempDir
	Path temp;

	private NativeChildLauncher launcher() throws IOException {
		List<String> command = List.of("/bin/true");
		String directory = this.temp.toRealPath().toString();
		NextRelease release = new NextRelease((dir, warn) -> command,
				WorkingDirectory.choose(directory, null, command, WorkingDirectory.Lookup.FILE_SYSTEM), null,
				WorkingDirectory.Lookup.FILE_SYSTEM);
		Instant now = Instant.now();
		this.os.sockets.nextPair = new int[] { PARENT_END, CHILD_END };
		this.os.fds.open(PARENT_END);
		this.os.processes.spawnFailure = new DescriptorTableGrewException(
				"Unable to spawn /bin/sh: this process's descriptor table grew from 64 to 128 slots while the child "
						+ "was forked, ...; the child (pid 776) was killed; try again",
				776);
		return new NativeChildLauncher(this.os.os(), release, new Generation(1, 100, null, now, now));
	}

	@Test
	void whenTheTableGrewDuringTheSpawnThenTheInnerShellThatReportedItsPidIsKilledAndTheLaunchFails()
			throws IOException {
		NativeChildLauncher launcher = launcher();
		this.os.processes.run(777, "4711");
		this.os.fds.get(PARENT_END).send(Handshake.PID + " 777\n");
		assertThatIOException().isThrownBy(() -> launcher.launch(List.of(), 2))
			.withMessageContaining("descriptor table grew from 64 to 128 slots")
			.withMessageContaining("the child (pid 776) was killed")
			.withMessageEndingWith("; so was the shell it had started (pid 777)");
		assertThat(this.os.processes.signals).containsExactly("kill 777 SIGKILL");
		assertThat(this.os.fds.closed).contains(PARENT_END, CHILD_END);
		assertThat(this.os.processes.isAlive(777)).isFalse();
	}

	@Test
	void whenNoInnerShellWasStartedThenTheHandshakeEndsAndNothingElseIsKilled() throws IOException {
		NativeChildLauncher launcher = launcher();
		this.os.fds.get(PARENT_END).endOfStream();
		assertThatIOException().isThrownBy(() -> launcher.launch(List.of(), 2))
			.withMessageEndingWith("the child (pid 776) was killed; try again");
		assertThat(this.os.processes.signals).isEmpty();
		assertThat(this.os.fds.closed).contains(PARENT_END, CHILD_END);
	}

}
