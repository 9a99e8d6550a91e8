package io.zerodowntime.autoconfigure;

import io.zerodowntime.ListenerHandoverException;
import org.junit.jupiter.api.Test;

import org.springframework.boot.diagnostics.FailureAnalysis;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link StartupFailureAnalyzer}; what each failure says is tested with it
 * ({@code PidFileExceptionTests}, {@code ControlSocketTests},
 * {@code ListenerMatcherTests}).
 */
class StartupFailureAnalyzerTests {

	@Test
	void analysisIsTheDescriptionAndTheActionOfTheFailureWhereverItIsInTheChain() {
		ListenerHandoverException failure = new ListenerHandoverException("fd 3 is a UDP socket",
				"Pass only listening TCP sockets.");
		FailureAnalysis analysis = new StartupFailureAnalyzer()
			.analyze(new IllegalStateException("web server failed to start", failure));
		assertThat(analysis.getDescription()).isEqualTo("fd 3 is a UDP socket");
		assertThat(analysis.getAction()).isEqualTo("Pass only listening TCP sockets.");
		assertThat(analysis.getCause()).isSameAs(failure);
	}

	@Test
	void anyOtherFailureIsLeftToSpringBoot() {
		assertThat(new StartupFailureAnalyzer().analyze(new IllegalStateException("unrelated"))).isNull();
	}

}
