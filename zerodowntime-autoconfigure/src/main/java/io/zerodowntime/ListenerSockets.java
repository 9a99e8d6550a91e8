package io.zerodowntime;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.ServerSocketChannel;

/**
 * Makes JDK channels from passed descriptors and fresh binds; the native seam of
 * {@link Listeners}.
 */
interface ListenerSockets {

	/**
	 * Wrap a passed listening descriptor in a JDK channel. The passed descriptor number
	 * is closed; the returned one is close-on-exec.
	 * @param fd the passed descriptor
	 * @return the channel, its real address and its descriptor
	 * @throws IOException if the descriptor cannot be adopted
	 */
	Adopted adopt(InheritedFd fd) throws IOException;

	/**
	 * Bind a new listening socket.
	 * @param address where to listen ({@code null} host for every address)
	 * @param backlog the accept backlog
	 * @param configurer applies socket options before the bind
	 * @return the channel, its real address and its descriptor (-1 if it cannot be found)
	 * @throws IOException if it cannot be bound
	 */
	Adopted bind(InetSocketAddress address, int backlog, SocketConfigurer configurer) throws IOException;

	/**
	 * Make a second JDK channel on the same listening socket, from a {@code dup(2)} of
	 * its descriptor: the standby copy a suspended listener keeps, so it can resume
	 * accepting without binding or adopting anything then.
	 * @param original the channel, address and descriptor of the listener
	 * @return the copy, with its own descriptor (close-on-exec)
	 * @throws IOException if the descriptor cannot be duplicated or adopted
	 */
	Adopted duplicate(Adopted original) throws IOException;

	/**
	 * Close a descriptor nobody claimed.
	 * @param fd the descriptor
	 */
	void close(int fd);

	/** A channel with the facts the JDK does not report for an adopted socket. */
	record Adopted(ServerSocketChannel channel, InetSocketAddress localAddress, int fd) {
	}

	/** Applies socket options to a server socket before it is bound. */
	@FunctionalInterface
	interface SocketConfigurer {

		void configure(ServerSocket socket) throws IOException;

	}

}
