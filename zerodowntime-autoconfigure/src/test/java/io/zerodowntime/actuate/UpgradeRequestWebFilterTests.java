package io.zerodowntime.actuate;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilterChain;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link UpgradeRequestWebFilter}: the servlet filter's rule and answer, on
 * WebFlux.
 */
class UpgradeRequestWebFilterTests {

	private final UpgradeRequestWebFilter filter = new UpgradeRequestWebFilter(() -> "/actuator/upgrade", 0);

	@Test
	void whenAPostCarriesNoContentTypeThenItIsAnswered415WithTheReasonAndNeverReachesTheEndpoint() {
		MockServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.post("/actuator/upgrade"));
		Chain chain = new Chain();
		this.filter.filter(exchange, chain).block();
		assertThat(exchange.getResponse().getStatusCode().value()).isEqualTo(415);
		assertThat(exchange.getResponse().getHeaders().getContentType()).isEqualTo(MediaType.APPLICATION_JSON);
		assertThat(exchange.getResponse().getHeaders().getFirst(HttpHeaders.ACCEPT)).isEqualTo("application/json");
		assertThat(exchange.getResponse().getBodyAsString().block())
			.contains("POST /actuator/upgrade needs 'Content-Type: application/json' (got none)");
		assertThat(chain.calls).hasValue(0);
	}

	@Test
	void whenAPostCarriesASimpleContentTypeThenItIsAnswered415NamingIt() {
		for (String type : new String[] { "text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
				"application/octet-stream" }) {
			MockServerWebExchange exchange = MockServerWebExchange
				.from(MockServerHttpRequest.post("/actuator/upgrade/").header(HttpHeaders.CONTENT_TYPE, type));
			Chain chain = new Chain();
			this.filter.filter(exchange, chain).block();
			assertThat(exchange.getResponse().getStatusCode().value()).as(type).isEqualTo(415);
			assertThat(exchange.getResponse().getBodyAsString().block()).as(type).contains("(got '" + type + "')");
			assertThat(chain.calls).as(type).hasValue(0);
		}
	}

	@Test
	void whenAPostCarriesJsonThenTheEndpointRuns() {
		for (String type : new String[] { "application/json", "application/json;charset=UTF-8",
				"application/vnd.spring-boot.actuator.v3+json" }) {
			MockServerWebExchange exchange = MockServerWebExchange
				.from(MockServerHttpRequest.post("/actuator/upgrade").header(HttpHeaders.CONTENT_TYPE, type));
			Chain chain = new Chain();
			this.filter.filter(exchange, chain).block();
			assertThat(chain.calls).as(type).hasValue(1);
			assertThat(exchange.getResponse().getStatusCode()).as(type).isNull();
		}
	}

	@Test
	void otherRequestsPassUntouched() {
		for (MockServerHttpRequest request : new MockServerHttpRequest[] {
				MockServerHttpRequest.get("/actuator/upgrade").build(), MockServerHttpRequest.post("/upload").build(),
				MockServerHttpRequest.post("/actuator/upgraded").build() }) {
			MockServerWebExchange exchange = MockServerWebExchange.from(request);
			Chain chain = new Chain();
			this.filter.filter(exchange, chain).block();
			assertThat(chain.seen).as("%s %s", request.getMethod(), request.getPath()).hasValue(exchange);
		}
	}

	@Test
	void thePathIsMatchedWithinTheApplicationAndTheAnswerNamesTheFullPath() {
		MockServerWebExchange exchange = MockServerWebExchange
			.from(MockServerHttpRequest.post("/base/actuator/upgrade").contextPath("/base"));
		Chain chain = new Chain();
		this.filter.filter(exchange, chain).block();
		assertThat(exchange.getResponse().getStatusCode().value()).isEqualTo(415);
		assertThat(exchange.getResponse().getBodyAsString().block()).contains("POST /base/actuator/upgrade needs");
	}

	@Test
	void whenTheEndpointIsNotExposedEveryRequestPasses() {
		UpgradeRequestWebFilter unexposed = new UpgradeRequestWebFilter(() -> null, 0);
		MockServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.post("/actuator/upgrade"));
		Chain chain = new Chain();
		unexposed.filter(exchange, chain).block();
		assertThat(chain.calls).hasValue(1);
	}

	@Test
	void aFormPostThroughWebTestClientIsRefusedWithTheServletFiltersAnswer() {
		AtomicInteger upgrades = new AtomicInteger();
		WebTestClient client = WebTestClient.bindToWebHandler((exchange) -> {
			upgrades.incrementAndGet();
			return exchange.getResponse().setComplete();
		}).webFilter(this.filter).build();
		byte[] refused = client.post()
			.uri("/actuator/upgrade")
			.contentType(MediaType.APPLICATION_FORM_URLENCODED)
			.bodyValue("a=b")
			.exchange()
			.expectStatus()
			.isEqualTo(415)
			.expectHeader()
			.contentType(MediaType.APPLICATION_JSON)
			.expectBody()
			.returnResult()
			.getResponseBody();
		assertThat(upgrades).hasValue(0);
		assertThat(new String(refused, StandardCharsets.UTF_8))
			.isEqualTo(new String(UpgradeRequestRule.refusal("/actuator/upgrade", "application/x-www-form-urlencoded"),
					StandardCharsets.UTF_8));
		client.post()
			.uri("/actuator/upgrade")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue("{}")
			.exchange()
			.expectStatus()
			.isOk();
		assertThat(upgrades).hasValue(1);
	}

	private static final class Chain implements WebFilterChain {

		private final AtomicInteger calls = new AtomicInteger();

		private final AtomicReference<ServerWebExchange> seen = new AtomicReference<>();

		@Override
		public Mono<Void> filter(ServerWebExchange exchange) {
			this.calls.incrementAndGet();
			this.seen.set(exchange);
			return Mono.empty();
		}

	}

}
