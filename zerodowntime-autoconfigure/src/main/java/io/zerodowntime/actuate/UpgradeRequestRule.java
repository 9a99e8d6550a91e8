package io.zerodowntime.actuate;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The rule that {@link UpgradeRequestFilter} (servlet) and
 * {@link UpgradeRequestWebFilter} (WebFlux) apply to {@code POST /actuator/upgrade}: a
 * web page can send a POST without a CORS preflight only with a "simple" content type
 * (none, {@code text/plain}, form encodings), so the upgrade requires
 * {@code Content-Type: application/json} (or another {@code application/...+json} type);
 * any other POST to the endpoint is answered {@code 415} with the reason. The adapters
 * only translate their request and response types.
 */
final class UpgradeRequestRule {

	/** The status of a refused POST: 415 Unsupported Media Type. */
	static final int REFUSED = 415;

	private final Supplier<String> endpointPath;

	/**
	 * Create the rule.
	 * @param endpointPath supplies the path of the upgrade endpoint within the
	 * application (under the servlet context or the WebFlux base path), e.g.
	 * {@code /actuator/upgrade}, or {@code null} when it is not exposed
	 */
	UpgradeRequestRule(Supplier<String> endpointPath) {
		this.endpointPath = endpointPath;
	}

	/**
	 * Tell whether a request is one the rule decides on: a POST to the upgrade endpoint.
	 * @param method the request's method
	 * @param path the request's path within the application (without the servlet context
	 * path or the WebFlux base path), not decoded
	 * @return whether the content type must be checked
	 */
	boolean applies(String method, String path) {
		if (!"POST".equals(method)) {
			return false;
		}
		String endpoint = this.endpointPath.get();
		return endpoint != null && (path.equals(endpoint) || path.equals(endpoint + "/"));
	}

	/**
	 * Tell whether a content type lets the POST through.
	 * @param contentType the request's {@code Content-Type}, or {@code null}
	 * @return whether it is {@code application/json} or {@code application/...+json},
	 * with any parameters
	 */
	static boolean allows(String contentType) {
		if (contentType == null) {
			return false;
		}
		String type = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
		return type.equals("application/json") || (type.startsWith("application/") && type.endsWith("+json"));
	}

	/**
	 * The body of the {@code 415} answer, in JSON: what was wrong and how to send the
	 * request.
	 * @param requestPath the path the client asked for (with any context path)
	 * @param contentType the request's {@code Content-Type}, or {@code null}
	 * @return the JSON body, UTF-8
	 */
	static byte[] refusal(String requestPath, String contentType) {
		return ("{\"error\":\"Unsupported Media Type\",\"reason\":\"POST " + escape(requestPath)
				+ " needs 'Content-Type: application/json' (got "
				+ ((contentType != null) ? "'" + escape(contentType) + "'" : "none")
				+ "): a web page can send a POST without a CORS preflight only with another content type, so "
				+ "this rule keeps a page open in a browser from triggering an upgrade. Example: curl -X POST "
				+ "-H 'Content-Type: application/json' <url>\"}")
			.getBytes(StandardCharsets.UTF_8);
	}

	/**
	 * Describe a POST that was let through, for the upgrade's log line.
	 * @param requestPath the path the client asked for
	 * @param clientAddress the client's address
	 * @return e.g. {@code POST /actuator/upgrade from 127.0.0.1}
	 */
	static String trigger(String requestPath, String clientAddress) {
		return "POST " + requestPath + " from " + clientAddress;
	}

	private static String escape(String text) {
		StringBuilder escaped = new StringBuilder(text.length());
		for (int i = 0; i < text.length(); i++) {
			char c = text.charAt(i);
			switch (c) {
				case '\\' -> escaped.append("\\\\");
				case '"' -> escaped.append("\\\"");
				default -> {
					if (c < 0x20) {
						escaped.append(String.format("\\u%04x", (int) c));
					}
					else {
						escaped.append(c);
					}
				}
			}
		}
		return escaped.toString();
	}

}
