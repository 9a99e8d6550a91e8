package io.zerodowntime.autoconfigure;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import org.springframework.boot.diagnostics.FailureAnalysis;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link PidFileFailureAnalyzer}.
 */
class PidFileFailureAnalyzerTests {

	@Test
	void analysisNamesThePidFileTheErrorAndTheFix() {
		PidFileException failure = new PidFileException(Path.of("/run/app/app.pid"),
				"Unable to write PID file /run/app/app.pid: Read-only file system (creating a temporary file in /run/app)");
		FailureAnalysis analysis = new PidFileFailureAnalyzer()
			.analyze(new IllegalStateException("ready listener failed", failure));
		assertThat(analysis.getDescription()).startsWith(
				"Unable to write PID file /run/app/app.pid: Read-only file system (creating a temporary file in /run/app)");
		assertThat(analysis.getAction()).startsWith("Make /run/app writable by this process")
			.contains("RuntimeDirectory=")
			.contains("zerodowntime.pid-file");
		assertThat(failure.getMessage()).as("what the previous generation reports")
			.contains("Read-only file system")
			.contains("Fix: make /run/app writable");
	}

}
