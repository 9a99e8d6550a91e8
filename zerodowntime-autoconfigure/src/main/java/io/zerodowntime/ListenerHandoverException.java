package io.zerodowntime;

/**
 * Thrown when the listening sockets passed to this process cannot be used as they are:
 * malformed socket-activation variables, a passed fd that is not a listening TCP socket,
 * or an ambiguous or contradictory match between passed fds and connectors. Startup stops
 * rather than serving on a wrong socket or silently binding elsewhere.
 *
 * @since 0.1.0
 */
public class ListenerHandoverException extends GenerationStartException {

	/**
	 * Create a new exception.
	 * @param description what is wrong, naming the fds and connectors involved
	 * @param action what the operator should do about it
	 */
	public ListenerHandoverException(String description, String action) {
		super(description, description, action, null);
	}

}
