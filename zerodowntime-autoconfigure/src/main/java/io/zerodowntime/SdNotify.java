package io.zerodowntime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Sends service-manager notifications ({@code sd_notify(3)}): one datagram of
 * newline-separated {@code KEY=value} assignments to the Unix socket named by
 * {@code $NOTIFY_SOCKET}, a path or, with a leading {@code @}, an abstract address.
 * systemd learns the sender's pid from the kernel ({@code SCM_CREDENTIALS}), so a
 * notification always speaks for the process that sends it.
 *
 * <p>
 * Best effort: without {@code NOTIFY_SOCKET} nothing is sent; a socket that cannot be
 * reached, a receiver whose queue stays full (a send waits at most 5 seconds for room),
 * or an address this class cannot use, is logged once (as a warning) and never raises
 * anything to the caller, so serving is never disturbed.
 */
final class SdNotify {

	/** The variable that names the service manager's notification socket. */
	public static final String NOTIFY_SOCKET = "NOTIFY_SOCKET";

	private static final Log logger = LogFactory.getLog(SdNotify.class);

	private static final int[] NO_FDS = {};

	/** {@code sizeof(sockaddr_un.sun_path)} on Linux, with room for the path's NUL. */
	private static final int MAX_ADDRESS_LENGTH = 107;

	/**
	 * How long a notification may wait for room in the service manager's receive queue.
	 */
	static final Duration SEND_TIMEOUT = Duration.ofSeconds(5);

	private final String socket;

	private final String unusable;

	private final Supplier<Sockets> sockets;

	private final Object lock = new Object();

	private boolean failureLogged;

	SdNotify(String socket) {
		this(socket, () -> Os.posix().sockets());
	}

	/**
	 * Create a notifier.
	 * @param socket the value of {@code NOTIFY_SOCKET}, or {@code null}
	 * @param sockets the sockets to send with, asked for on the first send, so that
	 * nothing native is loaded when nothing is sent
	 */
	SdNotify(String socket, Supplier<Sockets> sockets) {
		this.sockets = sockets;
		this.socket = (socket != null && !socket.isEmpty()) ? socket : null;
		this.unusable = (this.socket != null) ? unusable(this.socket) : null;
	}

	/**
	 * Return the notifier of this process, reading {@code NOTIFY_SOCKET} once, now.
	 * @return the notifier; it sends nothing when the variable is not set
	 */
	public static SdNotify fromEnvironment() {
		return new SdNotify(System.getenv(NOTIFY_SOCKET));
	}

	/**
	 * Return whether notifications are sent at all: {@code NOTIFY_SOCKET} is set to an
	 * address this class can use.
	 * @return whether a service manager listens
	 */
	public boolean isEnabled() {
		return this.socket != null && this.unusable == null;
	}

	/**
	 * Return the socket notifications go to, as {@code NOTIFY_SOCKET} names it.
	 * @return the socket, or {@code null} if the variable is not set
	 */
	public String socket() {
		return this.socket;
	}

	/**
	 * Send one notification.
	 * @param assignments {@code KEY=value} lines, e.g. {@code READY=1}; none may contain
	 * a newline
	 * @return whether the datagram was sent ({@code false} when disabled or on failure,
	 * which is logged once)
	 * @throws IllegalArgumentException if an assignment is malformed
	 */
	public boolean send(String... assignments) {
		return send(List.of(assignments), NO_FDS);
	}

	/**
	 * Send one notification.
	 * @param assignments {@code KEY=value} lines, e.g. {@code READY=1}; none may contain
	 * a newline
	 * @return whether the datagram was sent ({@code false} when disabled or on failure,
	 * which is logged once)
	 * @throws IllegalArgumentException if an assignment is malformed
	 */
	public boolean send(List<String> assignments) {
		return send(assignments, NO_FDS);
	}

	/**
	 * Send one notification with descriptors attached, as {@code sd_pid_notify_with_fds}
	 * does (e.g. {@code FDSTORE=1} with the descriptors to store).
	 * @param assignments {@code KEY=value} lines; none may contain a newline
	 * @param fds the descriptors to pass, possibly none
	 * @return whether the datagram was sent ({@code false} when disabled or on failure,
	 * which is logged once)
	 * @throws IllegalArgumentException if an assignment is malformed
	 */
	public boolean send(List<String> assignments, int... fds) {
		String message = message(assignments);
		if (this.socket == null) {
			return false;
		}
		synchronized (this.lock) {
			if (this.unusable != null) {
				failedOnce(this.unusable);
				return false;
			}
			try {
				sendDatagram(message, fds);
				if (logger.isDebugEnabled()) {
					logger.debug("Sent to " + this.socket + ": " + message.replace('\n', ' '));
				}
				return true;
			}
			catch (IOException | RuntimeException | LinkageError ex) {
				failedOnce("Unable to notify the service manager through " + this.socket + " (NOTIFY_SOCKET): "
						+ describe(ex) + "; serving goes on, but the service manager does not learn of '"
						+ message.replace('\n', ' ') + "'");
				return false;
			}
		}
	}

	/**
	 * Load and link what sending needs now, while the application's jar is surely intact
	 * (see {@link Upgrader#warmUp()}), so the notifications of a later upgrade cannot
	 * fail for a class that can no longer be loaded. Sends nothing; failures are logged
	 * once.
	 */
	public void warmUp() {
		if (!isEnabled()) {
			return;
		}
		synchronized (this.lock) {
			try {
				this.sockets.get().prepareDatagram(nativeAddress(this.socket));
			}
			catch (IOException | RuntimeException | LinkageError ex) {
				failedOnce("Unable to prepare notifications to " + this.socket + " (NOTIFY_SOCKET): " + describe(ex));
			}
		}
	}

	/**
	 * Return the time of {@code CLOCK_MONOTONIC} in microseconds, as
	 * {@code MONOTONIC_USEC=} wants it. {@link System#nanoTime()} reads that clock on
	 * Linux.
	 * @return the monotonic time
	 */
	public static long monotonicMicros() {
		return System.nanoTime() / 1000;
	}

	private void sendDatagram(String message, int[] fds) throws IOException {
		byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
		// the receive queue is short (net.unix.max_dgram_qlen, 10 by default) and shared
		// by every
		// service: wait for room, as sd_notify(3) does, but never forever
		int sent = (fds.length == 0) ? this.sockets.get().sendDatagram(nativeAddress(this.socket), bytes, SEND_TIMEOUT)
				: this.sockets.get().sendDatagram(nativeAddress(this.socket), bytes, fds, SEND_TIMEOUT);
		if (sent != bytes.length) {
			throw new IOException("sent " + sent + " of " + bytes.length + " bytes");
		}
	}

	private void failedOnce(String message) {
		if (!this.failureLogged) {
			this.failureLogged = true;
			logger.warn(message + " (logged once; later failures are logged at debug level)");
		}
		else if (logger.isDebugEnabled()) {
			logger.debug(message);
		}
	}

	static String message(List<String> assignments) {
		if (assignments.isEmpty()) {
			throw new IllegalArgumentException("A notification needs at least one assignment");
		}
		for (String assignment : assignments) {
			int equals = assignment.indexOf('=');
			if (equals <= 0 || assignment.indexOf('\n') >= 0 || assignment.indexOf('\0') >= 0) {
				throw new IllegalArgumentException("Not a KEY=value assignment on one line: '" + assignment + "'");
			}
		}
		return String.join("\n", assignments);
	}

	/**
	 * The address as the kernel wants it: an abstract one starts with a NUL instead of
	 * '@'.
	 */
	static String nativeAddress(String socket) {
		return socket.startsWith("@") ? "\0" + socket.substring(1) : socket;
	}

	/** Why an address cannot be used here, or {@code null} when it can. */
	static String unusable(String socket) {
		String problem = null;
		if (!socket.startsWith("/") && !socket.startsWith("@")) {
			problem = "only a path or an abstract address ('@name') is supported";
		}
		else if (socket.length() < 2) {
			problem = "the address is empty";
		}
		else if (!StandardCharsets.US_ASCII.newEncoder().canEncode(socket)) {
			problem = "only ASCII addresses are supported";
		}
		else if (socket.length() > MAX_ADDRESS_LENGTH) {
			problem = "it is longer than " + MAX_ADDRESS_LENGTH + " bytes";
		}
		return (problem != null)
				? "Unable to use NOTIFY_SOCKET '" + socket + "': " + problem + "; the service manager is not notified"
				: null;
	}

	private static String describe(Throwable ex) {
		String message = ex.getMessage();
		return (message != null && !message.isBlank()) ? message : ex.getClass().getSimpleName();
	}

}
