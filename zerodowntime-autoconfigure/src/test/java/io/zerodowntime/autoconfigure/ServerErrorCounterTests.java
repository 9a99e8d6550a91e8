package io.zerodowntime.autoconfigure;

import io.micrometer.observation.Observation;
import org.junit.jupiter.api.Test;

import org.springframework.http.server.observation.ServerRequestObservationContext;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link ServerErrorCounter}: every observed server request is counted, those
 * answered with a 5xx (or ended by an error not mapped below 500) as errors too.
 */
class ServerErrorCounterTests {

	private final ServerErrorCounter counter = new ServerErrorCounter();

	@Test
	void countsRequestsAndServerErrors() {
		answer(200, null);
		answer(404, null);
		answer(503, null);
		answer(200, new IllegalStateException("boom"));
		answer(400, new IllegalArgumentException("bad input"));
		assertThat(this.counter.get()).containsExactly(5, 2);
	}

	@Test
	void onlyServerRequestsAreObserved() {
		assertThat(this.counter.supportsContext(new Observation.Context())).isFalse();
		assertThat(this.counter.supportsContext(context(200))).isTrue();
	}

	private void answer(int status, Throwable error) {
		ServerRequestObservationContext context = context(status);
		if (error != null) {
			context.setError(error);
		}
		this.counter.onStop(context);
	}

	private static ServerRequestObservationContext context(int status) {
		MockHttpServletResponse response = new MockHttpServletResponse();
		response.setStatus(status);
		return new ServerRequestObservationContext(new MockHttpServletRequest(), response);
	}

}
