package io.zerodowntime.autoconfigure;

import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Counts the requests this generation answered, and those answered with a 5xx (or that
 * ended in an error not mapped to a status below 500); reported to the previous
 * generation during this one's probation. Fed by the {@code http.server.requests}
 * observations of Spring MVC ({@link ServerErrorCounter}) or WebFlux
 * ({@link ReactiveServerErrorCounter}).
 */
abstract class RequestCounter implements Supplier<long[]> {

	private final LongAdder answered = new LongAdder();

	private final LongAdder serverErrors = new LongAdder();

	/**
	 * Count one request answered.
	 * @param status the status sent
	 * @param failed whether it ended in an error
	 */
	final void count(int status, boolean failed) {
		if (failed && status < 400) {
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
