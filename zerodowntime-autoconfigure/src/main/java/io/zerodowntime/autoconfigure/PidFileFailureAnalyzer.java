package io.zerodowntime.autoconfigure;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Explains a generation that stopped because it could not write its PID file, and what to do. */
class PidFileFailureAnalyzer extends AbstractFailureAnalyzer<PidFileException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, PidFileException cause) {
		return new FailureAnalysis(cause.getDescription() + ". The service manager and deploy scripts follow this "
				+ "file to the serving generation, so a generation that cannot write it does not start.",
				Character.toUpperCase(cause.getAction().charAt(0)) + cause.getAction().substring(1) + ".", cause);
	}

}
