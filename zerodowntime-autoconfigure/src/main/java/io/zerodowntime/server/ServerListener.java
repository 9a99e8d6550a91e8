package io.zerodowntime.server;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;

/**
 * A listening socket a server adapter claimed from the {@link ListenerRegistry}: the JDK
 * channel to accept from, the address it really listens on (which the channel itself may
 * not report for an adopted socket), and whether it was passed to this process. Closing
 * it closes only this process's copy: any other holder of the socket (the next
 * generation, systemd) keeps it listening. Thread-safe.
 *
 * @since 0.1.0
 */
public interface ServerListener {

	/**
	 * Return the name this listener is passed under.
	 * @return the name, e.g. {@code http}
	 */
	String name();

	/**
	 * Return the channel to accept connections from, in blocking mode unless the adapter
	 * changes it. It may change: while this generation is suspended (a new generation's
	 * probation) the channel is closed, which wakes a blocked accept with a
	 * {@link java.nio.channels.ClosedChannelException}, and the gate is shut; if this
	 * generation resumes, a new channel on the same socket takes its place. So after a
	 * {@code ClosedChannelException} on a listener that is not {@link #isClosed()
	 * closed}, wait at the gate again and accept from {@code channel()} anew.
	 * @return the channel
	 */
	ServerSocketChannel channel();

	/**
	 * Return the address the socket really listens on.
	 * @return the local address, with the real port
	 */
	InetSocketAddress localAddress();

	/**
	 * Return whether the socket was passed to this process rather than bound by it.
	 * @return whether it was inherited
	 */
	boolean inherited();

	/**
	 * Return whether this process's copy was closed.
	 * @return whether it is closed
	 */
	boolean isClosed();

	/**
	 * Close this process's copy of the socket. Never shuts the socket down, so any other
	 * holder keeps accepting from it. Idempotent.
	 * @throws IOException if the channel cannot be closed
	 */
	void close() throws IOException;

	/**
	 * Attach the server that accepts from this listener, so a drain reaches it. A
	 * listener with nothing attached is not waited for when its generation drains.
	 * @param drainTarget the server
	 */
	void attach(DrainTarget drainTarget);

}
