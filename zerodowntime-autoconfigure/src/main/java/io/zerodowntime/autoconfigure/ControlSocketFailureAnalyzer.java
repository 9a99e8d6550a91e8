package io.zerodowntime.autoconfigure;

import io.zerodowntime.ControlSocketException;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Explains a startup stopped by an unusable {@code zerodowntime.control-socket}, and what to do. */
class ControlSocketFailureAnalyzer extends AbstractFailureAnalyzer<ControlSocketException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, ControlSocketException cause) {
		return new FailureAnalysis(cause.getDescription(), cause.getAction(), cause);
	}

}
