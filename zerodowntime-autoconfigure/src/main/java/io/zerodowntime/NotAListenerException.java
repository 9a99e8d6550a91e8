package io.zerodowntime;

import java.io.IOException;

/**
 * A file descriptor that should be a listening TCP socket is something else. The message
 * names the fd and what it is instead, for example "fd 5 is a UDP (datagram) socket, not
 * a stream socket".
 */
class NotAListenerException extends IOException {

	private static final long serialVersionUID = 1L;

	private final int fd;

	NotAListenerException(int fd, String message) {
		super(message);
		this.fd = fd;
	}

	/** The file descriptor that was inspected. */
	int fd() {
		return this.fd;
	}

}
