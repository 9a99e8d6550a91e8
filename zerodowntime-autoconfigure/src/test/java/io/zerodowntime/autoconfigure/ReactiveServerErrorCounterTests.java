package io.zerodowntime.autoconfigure;

import java.util.Map;

import io.micrometer.observation.Observation;
import org.junit.jupiter.api.Test;

import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.observation.ServerRequestObservationContext;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.http.server.reactive.MockServerHttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link ReactiveServerErrorCounter}: every observed WebFlux request is
 * counted, those answered with a 5xx (or ended by an error not mapped below 500) as
 * errors too.
 */
class ReactiveServerErrorCounterTests {

	private final ReactiveServerErrorCounter counter = new ReactiveServerErrorCounter();

	@Test
	void countsRequestsAndServerErrors() {
		answer(HttpStatus.OK, null, false);
		answer(HttpStatus.NOT_FOUND, null, false);
		answer(HttpStatus.SERVICE_UNAVAILABLE, null, false);
		answer(null, new IllegalStateException("boom"), false);
		answer(HttpStatus.BAD_REQUEST, new IllegalArgumentException("bad input"), false);
		answer(null, new IllegalStateException("client gone"), true);
		answer(null, null, false);
		assertThat(this.counter.get()).containsExactly(7, 2);
	}

	@Test
	void onlyReactiveServerRequestsAreObserved() {
		assertThat(this.counter.supportsContext(new Observation.Context())).isFalse();
		assertThat(this.counter.supportsContext(context(HttpStatus.OK))).isTrue();
	}

	private void answer(HttpStatus status, Throwable error, boolean aborted) {
		ServerRequestObservationContext context = context(status);
		if (error != null) {
			context.setError(error);
		}
		context.setConnectionAborted(aborted);
		this.counter.onStop(context);
	}

	private static ServerRequestObservationContext context(HttpStatus status) {
		MockServerHttpResponse response = new MockServerHttpResponse();
		if (status != null) {
			response.setStatusCode(status);
		}
		return new ServerRequestObservationContext(MockServerHttpRequest.get("/").build(), response, Map.of());
	}

}
