package io.zerodowntime.server;

import io.zerodowntime.GenerationStartException;

/**
 * Thrown by a server adapter when the web server, or one of its connectors, cannot take
 * its listening socket from the {@link ListenerRegistry}, so it could not be handed over
 * to the next generation: a server or protocol the starter has no adapter for, or a
 * connector of a type the adapter cannot claim. The application does not start rather
 * than serve on a socket an upgrade would lose; the message names the connector and what
 * is supported.
 *
 * @since 0.1.0
 */
public class UnsupportedServerException extends GenerationStartException {

	/**
	 * Create a new exception.
	 * @param description what cannot be handed over, naming the server or connector
	 * @param action what is supported and what to do
	 */
	public UnsupportedServerException(String description, String action) {
		super(description + " " + action, description, action, null);
	}

}
