package io.zerodowntime;

import java.io.IOException;

/** Tells what a passed descriptor is; the native implementation asks the kernel. */
@FunctionalInterface
interface ListenerInspector {

	/**
	 * Inspect a descriptor.
	 * @param fd the descriptor
	 * @return the listening TCP socket behind it
	 * @throws IOException with a message naming what the fd is instead, when it is not
	 * one
	 */
	SocketInfo inspect(int fd) throws IOException;

}
