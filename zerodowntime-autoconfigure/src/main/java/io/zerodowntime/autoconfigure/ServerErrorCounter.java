package io.zerodowntime.autoconfigure;

import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;

import org.springframework.http.server.observation.ServerRequestObservationContext;

/**
 * Counts the requests this generation answered, and those answered with a 5xx (or that
 * ended in an error not mapped to a status below 500), from the
 * {@code http.server.requests} observations; reported to the previous generation during
 * this one's probation.
 */
class ServerErrorCounter implements ObservationHandler<ServerRequestObservationContext>, Supplier<long[]> {

	private final LongAdder answered = new LongAdder();

	private final LongAdder serverErrors = new LongAdder();

	@Override
	public boolean supportsContext(Observation.Context context) {
		return context instanceof ServerRequestObservationContext;
	}

	@Override
	public void onStop(ServerRequestObservationContext context) {
		int status = (context.getResponse() != null) ? context.getResponse().getStatus() : 500;
		if (context.getError() != null && status < 400) {
			status = 500;
		}
		// both read in the same order as written: errors never exceed the count
		if (status >= 500) {
			this.serverErrors.increment();
		}
		this.answered.increment();
	}

	@Override
	public long[] get() {
		long errors = this.serverErrors.sum();
		long count = this.answered.sum();
		return new long[] { Math.max(count, errors), errors };
	}

}
