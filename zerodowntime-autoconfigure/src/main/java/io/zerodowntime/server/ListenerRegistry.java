package io.zerodowntime.server;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.List;

/**
 * The listening sockets of this process, as a server adapter sees them: the one place an
 * adapter gets a listening socket from (adopted from a descriptor the previous generation
 * passed, or bound anew and recorded so it is passed to the next), and the gate it waits
 * on before it accepts. One registry per process; obtained from
 * {@code Upgrader.listenerRegistry()}. Thread-safe.
 *
 * <p>
 * The contract an adapter keeps:
 * <ol>
 * <li>announce every listener it will claim with {@link #plan(List)} before claiming the
 * first, when it knows them all up front (so passed descriptors are matched knowing every
 * listener);</li>
 * <li>{@link #claim claim} each listening socket instead of binding one, and never bind
 * one itself;</li>
 * <li>before each accept, wait with {@link #awaitAcceptGate(ServerListener)}: a new
 * generation keeps the gate shut until it is ready, so a release that dies during startup
 * never takes a connection from the generation still serving;</li>
 * <li>{@link ServerListener#attach attach} a {@link DrainTarget} to each claimed
 * listener, so the core can stop accepting and wait for open connections when the
 * generation drains;</li>
 * <li>to stop accepting, close its copy of the listener ({@link ServerListener#close()}),
 * never shut the socket down, and never wake its acceptor by connecting to its own port
 * (the connection could be taken by the other generation);</li>
 * <li>after a {@code ClosedChannelException} on a listener that is not closed (this
 * generation suspended accepting during a new generation's probation), wait at the gate
 * again and accept from {@link ServerListener#channel()} anew: it may have been
 * replaced.</li>
 * </ol>
 *
 * @since 0.1.0
 */
public interface ListenerRegistry {

	/**
	 * Announce every listener that is about to be claimed and check at once that the
	 * passed descriptors match them unambiguously. Can be called again: a later plan
	 * replaces the earlier one for the descriptors not yet claimed.
	 * @param requests the listeners, in start order
	 * @throws io.zerodowntime.ListenerHandoverException if the match is ambiguous or
	 * contradictory
	 */
	void plan(List<ListenerRequest> requests);

	/**
	 * Claim the listening socket for a listener: adopt the descriptor passed for it, or
	 * bind anew.
	 * @param request what the listener wants
	 * @param backlog the accept backlog for a new bind
	 * @param configurer applies the server's socket options to a new bind
	 * @return the claimed listener
	 * @throws IOException if the socket cannot be adopted or bound
	 * @throws io.zerodowntime.ListenerHandoverException if a passed descriptor for it is
	 * unusable or contradicts its configuration
	 */
	ServerListener claim(ListenerRequest request, int backlog, SocketConfigurer configurer) throws IOException;

	/**
	 * Wait until this generation may accept connections, or the listener is closed.
	 * Returns at once in generation 1 and once the generation is ready.
	 * @param listener the listener about to accept
	 * @throws InterruptedException if interrupted while waiting
	 */
	void awaitAcceptGate(ServerListener listener) throws InterruptedException;

	/** Applies a server's socket options to a server socket before it is bound. */
	@FunctionalInterface
	interface SocketConfigurer {

		/**
		 * Apply the options.
		 * @param socket the unbound server socket
		 * @throws IOException if an option cannot be set
		 */
		void configure(ServerSocket socket) throws IOException;

	}

}
