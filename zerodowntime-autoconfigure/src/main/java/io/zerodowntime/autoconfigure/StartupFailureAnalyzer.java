package io.zerodowntime.autoconfigure;

import io.zerodowntime.GenerationStartException;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Explains every startup the starter stopped ({@link GenerationStartException}: unusable
 * or ambiguous passed listeners, an unusable control socket, a PID file that cannot be
 * written), and what to do.
 */
class StartupFailureAnalyzer extends AbstractFailureAnalyzer<GenerationStartException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, GenerationStartException cause) {
		return new FailureAnalysis(cause.getDescription(), cause.getAction(), cause);
	}

}
