package io.zerodowntime.actuate;

import java.util.function.Supplier;

import reactor.core.publisher.Mono;

import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

/**
 * Guards {@code POST /actuator/upgrade} against cross-site requests on a reactive
 * (WebFlux) server, with the rule and the answer of the servlet
 * {@link UpgradeRequestFilter}: the upgrade requires
 * {@code Content-Type: application/json} (or another {@code +json} type); a POST with no
 * content type or another one (a form, {@code text/plain}) is answered {@code 415} with
 * the reason and never reaches the endpoint.
 *
 * @since 0.1.0
 */
public class UpgradeRequestWebFilter implements WebFilter, Ordered {

	private final UpgradeRequestRule rule;

	private final int order;

	/**
	 * Create the filter.
	 * @param endpointPath supplies the path of the upgrade endpoint within the
	 * application (under {@code spring.webflux.base-path} or
	 * {@code management.server.base-path}), e.g. {@code /actuator/upgrade}, or
	 * {@code null} when it is not exposed
	 * @param order the filter's order among the application's web filters
	 */
	public UpgradeRequestWebFilter(Supplier<String> endpointPath, int order) {
		this.rule = new UpgradeRequestRule(endpointPath);
		this.order = order;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
		ServerHttpRequest request = exchange.getRequest();
		if (!this.rule.applies(request.getMethod().name(), request.getPath().pathWithinApplication().value())) {
			return chain.filter(exchange);
		}
		String contentType = request.getHeaders().getFirst(HttpHeaders.CONTENT_TYPE);
		if (UpgradeRequestRule.allows(contentType)) {
			return chain.filter(exchange);
		}
		byte[] body = UpgradeRequestRule.refusal(request.getPath().value(), contentType);
		ServerHttpResponse response = exchange.getResponse();
		response.setStatusCode(HttpStatusCode.valueOf(UpgradeRequestRule.REFUSED));
		response.getHeaders().set(HttpHeaders.ACCEPT, MediaType.APPLICATION_JSON_VALUE);
		response.getHeaders().setContentType(MediaType.APPLICATION_JSON);
		response.getHeaders().setContentLength(body.length);
		return response.writeWith(Mono.fromSupplier(() -> response.bufferFactory().wrap(body)));
	}

	@Override
	public int getOrder() {
		return this.order;
	}

}
