package io.zerodowntime;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link InitProcess}.
 */
class InitProcessTests {

	@Test
	void aJvmThatIsPidOneCannotUpgradeAndIsToldWhatWorksInstead() {
		assertThat(InitProcess.problem(1, 0, null, null, null)).startsWith("this JVM is PID 1 of its PID namespace")
			.contains("replacing the container")
			.contains("zerodowntime.enabled=false")
			.contains("systemd")
			.contains("docker run --init, tini or dumb-init does not help");
	}

	@Test
	void aJvmStartedByAnInitThatExitsWithItsChildCannotUpgrade() {
		String own = String.join("\0", "java", "-Xmx1g", "-jar", "app.jar", "--server.port=8080");
		for (String init : new String[] { "tini", "docker-init", "dumb-init" }) {
			String initCommand = String.join("\0", "/sbin/" + init, "--", "java", "-Xmx1g", "-jar", "app.jar",
					"--server.port=8080");
			assertThat(InitProcess.problem(7, 1, init, initCommand, own)).as(init)
				.startsWith("this JVM's parent is PID 1 of its PID namespace, " + init + ", which exits when this JVM "
						+ "exits")
				.contains("replacing the container");
		}
		String shell = String.join("\0", "/bin/sh", "-c", "java -Xmx1g -jar app.jar --server.port=8080; echo done");
		assertThat(InitProcess.problem(7, 1, "sh", shell, own)).contains("PID 1 of its PID namespace, sh,");
	}

	@Test
	void aJvmThatSuchAnInitOnlyAdoptedCanUpgrade() {
		String own = String.join("\0", "java", "-jar", "app.jar");
		String initCommand = String.join("\0", "/sbin/tini", "--", "/usr/bin/ci-runner", "--jobs", "2");
		assertThat(InitProcess.problem(7, 1, "tini", initCommand, own)).isNull();
		assertThat(InitProcess.problem(7, 1, "tini", null, own)).isNull();
	}

	@Test
	void aJvmUnderAServiceManagerOrAnyOtherParentCanUpgrade() {
		String own = String.join("\0", "java", "-jar", "app.jar");
		assertThat(InitProcess.problem(4242, 1, "systemd", "/sbin/init", own)).isNull();
		assertThat(InitProcess.problem(4242, 1, "init", "java -jar app.jar", own)).isNull();
		assertThat(InitProcess.problem(4242, 1, null, null, own)).isNull();
		assertThat(InitProcess.problem(4242, 4000, "tini", "tini\0--\0java\0-jar\0app.jar", own)).isNull();
	}

}
