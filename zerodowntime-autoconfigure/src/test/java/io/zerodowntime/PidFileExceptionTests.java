package io.zerodowntime;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link PidFileException}: what the operator reads when a PID file cannot be
 * written.
 */
class PidFileExceptionTests {

	@Test
	void namesThePidFileTheErrorAndTheFix() {
		PidFileException failure = new PidFileException(Path.of("/run/app/app.pid"),
				"Unable to write PID file /run/app/app.pid: Read-only file system (creating a temporary file in /run/app)");
		assertThat(failure.getDescription()).startsWith(
				"Unable to write PID file /run/app/app.pid: Read-only file system (creating a temporary file in /run/app)")
			.contains("a generation that cannot write it does not start");
		assertThat(failure.getAction()).startsWith("Make /run/app writable by this process")
			.contains("RuntimeDirectory=")
			.contains("zerodowntime.pid-file")
			.endsWith(".");
		assertThat(failure.getMessage()).as("what the previous generation reports")
			.contains("Read-only file system")
			.contains("Fix: make /run/app writable");
	}

}
