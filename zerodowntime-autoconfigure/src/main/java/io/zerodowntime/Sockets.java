package io.zerodowntime;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The sockets the core inspects or opens itself: passed listeners, the handshake socket
 * pair, the service manager's notification socket ({@link SdNotify}) and the control
 * socket ({@link ControlSocket}). {@link PosixSockets} asks the kernel; tests pass a
 * fake.
 */
interface Sockets {

	/**
	 * Check that {@code fd} is a listening TCP socket (IPv4 or IPv6).
	 * @param fd the descriptor
	 * @return the socket and its local address
	 * @throws NotAListenerException naming what {@code fd} is instead
	 * @throws NativeException if a system call fails
	 */
	SocketInfo inspectListener(int fd) throws NativeException, NotAListenerException;

	/**
	 * Return the lowest descriptor of this process that is a listening TCP socket bound
	 * to {@code local}, or -1. Addresses compare equal across the IPv4 and v4-mapped IPv6
	 * forms, and a wildcard address matches any other.
	 * @param local the local address
	 * @return the descriptor, or -1
	 * @throws NativeException if the descriptors cannot be listed
	 */
	int findListeningSocketFd(InetSocketAddress local) throws NativeException;

	/**
	 * Create a connected Unix-domain stream socket pair, both ends close-on-exec.
	 * @return the two descriptors
	 * @throws NativeException if it cannot be created
	 */
	int[] socketPair() throws NativeException;

	/**
	 * Return the pid of the process at the other end of a Unix-domain socket
	 * ({@code SO_PEERCRED}, as of connect).
	 * @param fd the descriptor
	 * @return the peer's pid
	 * @throws NativeException if the credentials cannot be read
	 */
	int peerPid(int fd) throws NativeException;

	/**
	 * Return whether {@code fd} is a Unix-domain socket.
	 * @param fd the descriptor
	 * @return whether it is one
	 * @throws NativeException if it cannot be inspected (it is not open)
	 */
	boolean isUnixSocket(int fd) throws NativeException;

	/**
	 * Send one datagram to a Unix-domain datagram socket.
	 * @param address a path, or an abstract address starting with NUL
	 * @param message the datagram
	 * @param timeout how long to wait for room in the receiver's queue
	 * @return how many bytes were sent
	 * @throws IOException if it cannot be sent
	 */
	int sendDatagram(String address, byte[] message, Duration timeout) throws IOException;

	/**
	 * Send one datagram to a Unix-domain datagram socket with descriptors attached (one
	 * {@code SCM_RIGHTS} control message): the receiver gets its own copies of them.
	 * @param address a path, or an abstract address starting with NUL
	 * @param message the datagram
	 * @param fds the descriptors to pass, possibly none
	 * @param timeout how long to wait for room in the receiver's queue
	 * @return how many bytes were sent
	 * @throws IOException if it cannot be sent
	 */
	int sendDatagram(String address, byte[] message, int[] fds, Duration timeout) throws IOException;

	/**
	 * Load and link what {@link #sendDatagram} needs, without sending.
	 * @param address a path, or an abstract address starting with NUL
	 * @throws IOException if that fails
	 */
	void prepareDatagram(String address) throws IOException;

	/**
	 * Bind a Unix-domain stream socket at {@code path} and listen on it.
	 * @param path the path; it must not exist
	 * @param backlog the accept backlog
	 * @return the listening socket
	 * @throws IOException if it cannot be bound
	 */
	UnixServer listenUnix(Path path, int backlog) throws IOException;

	/**
	 * Connect to the Unix-domain stream socket at {@code path}, read who answers, and
	 * disconnect.
	 * @param path the path
	 * @return the pid of the process that answers, -1 if unknown
	 * @throws IOException if nobody answers
	 */
	int answeringPid(Path path) throws IOException;

	/** A listening Unix-domain stream socket. */
	interface UnixServer extends Closeable {

		/**
		 * Wait until a connection may be pending, or {@link #wakeup()} is called.
		 * @throws IOException if waiting fails
		 */
		void awaitConnection() throws IOException;

		/** Make a thread blocked in {@link #awaitConnection()} return. */
		void wakeup();

		/**
		 * Accept a pending connection without waiting.
		 * @return the connection, in blocking mode, or {@code null} if none is pending
		 * @throws IOException if accepting fails
		 */
		UnixConnection accept() throws IOException;

	}

	/** An accepted Unix-domain stream connection. */
	interface UnixConnection extends Closeable {

		/**
		 * Return the credentials of the process that connected ({@code SO_PEERCRED}).
		 * @return its credentials
		 * @throws IOException if they cannot be read
		 */
		PeerCredentials peer() throws IOException;

		/**
		 * Limit how long a read may wait.
		 * @param millis the timeout
		 * @throws IOException if it cannot be set
		 */
		void setReadTimeout(int millis) throws IOException;

		/**
		 * Return a stream of what the peer sends.
		 * @return the stream
		 */
		InputStream input();

		/**
		 * Write some of {@code buffer}.
		 * @param buffer the bytes
		 * @throws IOException if writing fails
		 */
		void write(ByteBuffer buffer) throws IOException;

	}

	/**
	 * The process at the other end of a Unix-domain socket.
	 *
	 * @param pid its pid
	 * @param uid its user id
	 */
	record PeerCredentials(int pid, int uid) {
	}

}
