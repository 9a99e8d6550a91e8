package io.zerodowntime.server;

import java.net.InetAddress;

/**
 * What a server's connector wants to listen on: its name (matched against
 * {@code LISTEN_FDNAMES}), its configured address ({@code null} for every address) and
 * port (0 for any free port). Part of the server-adapter SPI: an adapter passes one to
 * {@link ListenerRegistry#claim} for each listening socket it needs.
 *
 * @param name the listener name, e.g. {@code http} or {@code management}
 * @param address the configured address, or {@code null}
 * @param port the configured port, or 0
 * @since 0.1.0
 */
public record ListenerRequest(String name, InetAddress address, int port) {

	/**
	 * Create a new request, checking the arguments.
	 * @param name the listener name, e.g. {@code http} or {@code management}
	 * @param address the configured address, or {@code null}
	 * @param port the configured port, or 0
	 */
	public ListenerRequest {
		if (name == null || name.isBlank() || name.contains(":")) {
			throw new IllegalArgumentException(
					"A listener name must be non-empty and contain no ':', got '" + name + "'");
		}
		if (port < 0 || port > 65535) {
			throw new IllegalArgumentException("Port of listener '" + name + "' must be 0-65535, got " + port);
		}
	}

}
