package io.zerodowntime.autoconfigure;

import io.zerodowntime.ListenerHandoverException;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Explains a startup stopped by unusable or ambiguous passed listeners, and what to do. */
class ListenerHandoverFailureAnalyzer extends AbstractFailureAnalyzer<ListenerHandoverException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, ListenerHandoverException cause) {
		return new FailureAnalysis(cause.getDescription(), cause.getAction(), cause);
	}

}
