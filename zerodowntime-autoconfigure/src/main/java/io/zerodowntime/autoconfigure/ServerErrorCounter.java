package io.zerodowntime.autoconfigure;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;

import org.springframework.http.server.observation.ServerRequestObservationContext;

/**
 * Counts the requests this generation answered, and those answered with a 5xx (or that
 * ended in an error not mapped to a status below 500), from the
 * {@code http.server.requests} observations of Spring MVC; reported to the previous
 * generation during this one's probation.
 */
class ServerErrorCounter extends RequestCounter implements ObservationHandler<ServerRequestObservationContext> {

	@Override
	public boolean supportsContext(Observation.Context context) {
		return context instanceof ServerRequestObservationContext;
	}

	@Override
	public void onStop(ServerRequestObservationContext context) {
		int status = (context.getResponse() != null) ? context.getResponse().getStatus() : 500;
		count(status, context.getError() != null);
	}

}
