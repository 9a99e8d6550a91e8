package io.zerodowntime.netty;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

import io.netty.channel.Channel;
import io.netty.channel.socket.nio.NioSocketChannel;

/**
 * A connection accepted from an inherited listener: Netty's NIO socket channel, which
 * discards what the client sent and nobody read before it closes, so the close is a FIN
 * and not a reset (a reset can destroy the response just written before the client reads
 * it).
 */
final class DrainableSocketChannel extends NioSocketChannel {

	/** At most this much unread input is discarded before a close. */
	private static final int MAX_DISCARD = 1024 * 1024;

	DrainableSocketChannel(Channel parent, SocketChannel socket) {
		super(parent, socket);
	}

	@Override
	protected void doClose() throws Exception {
		discardUnread();
		super.doClose();
	}

	/**
	 * Read and drop what is waiting in the socket's receive queue, without blocking.
	 * @return how many bytes were discarded
	 */
	int discardUnread() {
		SocketChannel channel = javaChannel();
		if (!channel.isOpen()) {
			return 0;
		}
		ByteBuffer scratch = ByteBuffer.allocate(8192);
		int discarded = 0;
		try {
			int read;
			while (discarded < MAX_DISCARD && (read = channel.read(scratch)) > 0) {
				discarded += read;
				scratch.clear();
			}
		}
		catch (IOException ex) {
			// the peer is gone: nothing left to discard
		}
		return discarded;
	}

}
