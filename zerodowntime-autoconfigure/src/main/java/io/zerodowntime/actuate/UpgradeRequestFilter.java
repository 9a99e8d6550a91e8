package io.zerodowntime.actuate;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.function.Supplier;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * Guards {@code POST /actuator/upgrade} against cross-site requests: a web page can send
 * a POST without a CORS preflight only with a "simple" content type (none,
 * {@code text/plain}, form encodings), so the upgrade requires
 * {@code Content-Type: application/json} (or another {@code +json} type) and answers
 * {@code 415} with the reason otherwise. It also records who asked (the client address),
 * for the upgrade's log line.
 *
 * @since 0.1.0
 */
public class UpgradeRequestFilter implements Filter {

	private final Supplier<String> endpointPath;

	/**
	 * Create the filter.
	 * @param endpointPath supplies the path of the upgrade endpoint under the servlet
	 * context, e.g. {@code /actuator/upgrade}, or {@code null} when it is not exposed
	 */
	public UpgradeRequestFilter(Supplier<String> endpointPath) {
		this.endpointPath = endpointPath;
	}

	@Override
	public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
			throws IOException, ServletException {
		if (!(request instanceof HttpServletRequest http) || !(response instanceof HttpServletResponse answer)
				|| !"POST".equals(http.getMethod()) || !isUpgradePath(http)) {
			chain.doFilter(request, response);
			return;
		}
		String contentType = http.getContentType();
		if (!isJson(contentType)) {
			byte[] body = ("{\"error\":\"Unsupported Media Type\",\"reason\":\"POST " + http.getRequestURI()
					+ " needs 'Content-Type: application/json' (got "
					+ ((contentType != null) ? "'" + contentType.replace("\\", "\\\\").replace("\"", "\\\"") + "'"
							: "none")
					+ "): a web page can send a POST without a CORS preflight only with another content type, so "
					+ "this rule keeps a page open in a browser from triggering an upgrade. Example: curl -X POST "
					+ "-H 'Content-Type: application/json' <url>\"}")
				.getBytes(StandardCharsets.UTF_8);
			answer.setStatus(415);
			answer.setHeader("Accept", "application/json");
			answer.setContentType("application/json");
			answer.setContentLength(body.length);
			answer.getOutputStream().write(body);
			return;
		}
		UpgradeTrigger.set("POST " + http.getRequestURI() + " from " + http.getRemoteAddr());
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

	private boolean isUpgradePath(HttpServletRequest request) {
		String path = this.endpointPath.get();
		if (path == null) {
			return false;
		}
		String uri = request.getRequestURI();
		String context = request.getContextPath();
		String local = (context != null && uri.startsWith(context)) ? uri.substring(context.length()) : uri;
		return local.equals(path) || local.equals(path + "/");
	}

	private static boolean isJson(String contentType) {
		if (contentType == null) {
			return false;
		}
		String type = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
		return type.equals("application/json") || (type.startsWith("application/") && type.endsWith("+json"));
	}

}
