package io.zerodowntime.autoconfigure;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;

import org.springframework.http.HttpStatusCode;
import org.springframework.http.server.reactive.observation.ServerRequestObservationContext;

/**
 * Counts the requests this generation answered, and those answered with a 5xx (or that
 * ended in an error not mapped to a status below 500), from the
 * {@code http.server.requests} observations of WebFlux; reported to the previous
 * generation during this one's probation. A response without a status set was sent as
 * 200; one the client gave up on before it was sent is not counted as an error.
 */
class ReactiveServerErrorCounter extends RequestCounter implements ObservationHandler<ServerRequestObservationContext> {

	@Override
	public boolean supportsContext(Observation.Context context) {
		return context instanceof ServerRequestObservationContext;
	}

	@Override
	public void onStop(ServerRequestObservationContext context) {
		HttpStatusCode status = (context.getResponse() != null) ? context.getResponse().getStatusCode() : null;
		count((status != null) ? status.value() : 200, context.getError() != null && !context.isConnectionAborted());
	}

}
