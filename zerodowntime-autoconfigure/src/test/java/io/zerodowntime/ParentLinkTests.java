package io.zerodowntime;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link ParentLink}'s deadline, with a real process as the previous generation.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ParentLinkTests {

	@Test
	void aPreviousGenerationStillThereAfterItsDeadlineIsKilledByPid() throws Exception {
		NativePosix posix = NativePosix.get();
		Process predecessor = new ProcessBuilder("sleep", "600").start();
		int[] pair = posix.socketPair();
		try {
			ParentLink link = new ParentLink(posix, pair[0], predecessor.pid());
			link.expectExitWithin(Duration.ofMillis(100));
			assertThat(link.deadline().pid()).isEqualTo(predecessor.pid());
			assertThat(predecessor.waitFor(PredecessorDeadline.MARGIN.toMillis() - 1000, TimeUnit.MILLISECONDS))
				.as("still alive before its deadline")
				.isFalse();
			assertThat(predecessor.waitFor(20, TimeUnit.SECONDS)).as("killed after its deadline").isTrue();
			assertThat(predecessor.exitValue()).isEqualTo(128 + NativePosix.SIGKILL);
		}
		finally {
			predecessor.destroyForcibly();
			close(posix, pair[0]);
			close(posix, pair[1]);
		}
	}

	@Test
	void aPreviousGenerationThatExitsInTimeIsLeftAlone() throws Exception {
		NativePosix posix = NativePosix.get();
		int[] pair = posix.socketPair();
		try {
			ParentLink link = new ParentLink(posix, pair[0], ProcessHandle.current().pid());
			link.expectExitWithin(Duration.ofMillis(100));
			close(posix, pair[1]);
			await().atMost(Duration.ofSeconds(10)).until(link::parentExited);
			Thread.sleep(PredecessorDeadline.MARGIN.toMillis() + 1000);
			assertThat(ProcessHandle.current().isAlive()).isTrue();
		}
		finally {
			close(posix, pair[0]);
		}
	}

	private static void close(NativePosix posix, int fd) {
		try {
			posix.close(fd);
		}
		catch (IOException ex) {
			// closed already
		}
	}

}
