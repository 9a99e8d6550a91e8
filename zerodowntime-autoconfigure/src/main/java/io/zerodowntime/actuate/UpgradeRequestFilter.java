package io.zerodowntime.actuate;

import java.io.IOException;
import java.util.function.Supplier;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * Guards {@code POST /actuator/upgrade} against cross-site requests on a servlet server:
 * a web page can send a POST without a CORS preflight only with a "simple" content type
 * (none, {@code text/plain}, form encodings), so the upgrade requires
 * {@code Content-Type: application/json} (or another {@code +json} type) and answers
 * {@code 415} with the reason otherwise. It also records who asked (the client address),
 * for the upgrade's log line. {@link UpgradeRequestWebFilter} applies the same rule on
 * WebFlux.
 *
 * @since 0.1.0
 */
public class UpgradeRequestFilter implements Filter {

	private final UpgradeRequestRule rule;

	/**
	 * Create the filter.
	 * @param endpointPath supplies the path of the upgrade endpoint under the servlet
	 * context, e.g. {@code /actuator/upgrade}, or {@code null} when it is not exposed
	 */
	public UpgradeRequestFilter(Supplier<String> endpointPath) {
		this.rule = new UpgradeRequestRule(endpointPath);
	}

	@Override
	public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
			throws IOException, ServletException {
		if (!(request instanceof HttpServletRequest http) || !(response instanceof HttpServletResponse answer)
				|| !this.rule.applies(http.getMethod(), pathWithinApplication(http))) {
			chain.doFilter(request, response);
			return;
		}
		String contentType = http.getContentType();
		if (!UpgradeRequestRule.allows(contentType)) {
			byte[] body = UpgradeRequestRule.refusal(http.getRequestURI(), contentType);
			answer.setStatus(UpgradeRequestRule.REFUSED);
			answer.setHeader("Accept", "application/json");
			answer.setContentType("application/json");
			answer.setContentLength(body.length);
			answer.getOutputStream().write(body);
			return;
		}
		UpgradeTrigger.set(UpgradeRequestRule.trigger(http.getRequestURI(), http.getRemoteAddr()));
		try {
			chain.doFilter(request, response);
		}
		finally {
			UpgradeTrigger.clear();
		}
	}

	/**
	 * Return what triggered the upgrade requested on this thread, if it came through this
	 * filter.
	 * @return e.g. {@code POST /actuator/upgrade from 127.0.0.1}, or {@code null}
	 */
	static String currentTrigger() {
		return UpgradeTrigger.current();
	}

	private static String pathWithinApplication(HttpServletRequest request) {
		String uri = request.getRequestURI();
		String context = request.getContextPath();
		return (context != null && uri.startsWith(context)) ? uri.substring(context.length()) : uri;
	}

}
