package io.zerodowntime;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link InitProcess}.
 */
class InitProcessTests {

	@Test
	void aJvmThatIsPidOneCannotUpgradeAndIsToldWhatWorksInstead() {
		assertThat(InitProcess.problem(1, 0, null)).startsWith("this JVM is PID 1 of its PID namespace")
			.contains("replacing the container")
			.contains("zerodowntime.enabled=false")
			.contains("systemd")
			.contains("docker run --init, tini or dumb-init does not help");
	}

	@Test
	void aJvmUnderAnInitThatExitsWithItsChildCannotUpgrade() {
		for (String init : new String[] { "tini", "docker-init", "dumb-init", "sh", "bash" }) {
			assertThat(InitProcess.problem(7, 1, init)).as(init)
				.startsWith("this JVM's parent is PID 1 of its PID namespace, " + init + ", which exits when this JVM "
						+ "exits")
				.contains("replacing the container");
		}
	}

	@Test
	void aJvmUnderAServiceManagerOrAnyOtherParentCanUpgrade() {
		assertThat(InitProcess.problem(4242, 1, "systemd")).isNull();
		assertThat(InitProcess.problem(4242, 1, "init")).isNull();
		assertThat(InitProcess.problem(4242, 1, null)).isNull();
		assertThat(InitProcess.problem(4242, 4000, "tini")).isNull();
	}

}
