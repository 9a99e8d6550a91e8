package io.zerodowntime;

import java.net.InetSocketAddress;

/**
 * A file descriptor passed to this process for a listener, as systemd passes them: its
 * number, its name from {@code LISTEN_FDNAMES} ({@code null} when none was given) and
 * either what it is ({@code socket}) or why it cannot be used ({@code problem}).
 *
 * @param fd the descriptor number, 3 or more
 * @param name the name passed for it, or {@code null}
 * @param socket the listening socket behind it, or {@code null} when it is unusable
 * @param problem why it cannot be used, or {@code null} when it can
 */
record InheritedFd(int fd, String name, SocketInfo socket, String problem) {

	boolean usable() {
		return this.socket != null;
	}

	InetSocketAddress localAddress() {
		return (this.socket != null) ? this.socket.localAddress() : null;
	}

	String describe() {
		String what = usable() ? "listening on " + Addresses.format(localAddress()) : problem;
		return "fd " + this.fd + ((this.name != null) ? " named '" + this.name + "'" : " (no name)") + ": " + what;
	}

}
