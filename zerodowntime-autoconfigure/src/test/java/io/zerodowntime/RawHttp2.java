package io.zerodowntime;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * HTTP/2 frames written and read on a plain socket (h2c with prior knowledge), for the
 * server adapters' drain tests: which GOAWAY comes when, and which stream it covers, is
 * the point, so no client library stands in between.
 */
public final class RawHttp2 {

	/** HEADERS. */
	public static final int HEADERS = 0x1;

	/** DATA. */
	public static final int DATA = 0x0;

	/** GOAWAY. */
	public static final int GOAWAY = 0x7;

	private RawHttp2() {
	}

	/**
	 * Open an h2c session: send the preface and empty SETTINGS, read the server's
	 * SETTINGS.
	 * @param client a connected socket
	 * @return the stream to read the server's frames from
	 * @throws IOException if the socket fails or the server's first frame is not SETTINGS
	 */
	public static DataInputStream open(Socket client) throws IOException {
		RawHttp.send(client, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
		RawHttp.send(client, frame(0x4, 0, 0, new byte[0]));
		DataInputStream in = new DataInputStream(client.getInputStream());
		Frame first = read(in);
		if (first.type() != 0x4) {
			throw new IOException("the server's first frame is not SETTINGS: " + first);
		}
		return in;
	}

	/**
	 * A HEADERS frame of {@code GET path} that ends its stream (HPACK: indexed
	 * {@code :method GET}, {@code :scheme http}, literal {@code :path} and
	 * {@code :authority}, no Huffman).
	 * @param stream the stream id, odd
	 * @param path the path, under 127 bytes
	 * @return the frame's bytes
	 */
	public static byte[] get(int stream, String path) {
		ByteArrayOutputStream block = new ByteArrayOutputStream();
		block.write(0x82);
		block.write(0x86);
		block.write(0x04);
		block.write(path.length());
		block.writeBytes(path.getBytes(StandardCharsets.US_ASCII));
		block.write(0x01);
		block.write(9);
		block.writeBytes("localhost".getBytes(StandardCharsets.US_ASCII));
		return frame(HEADERS, 0x5, stream, block.toByteArray());
	}

	/**
	 * A frame.
	 * @param type the frame type
	 * @param flags the flags
	 * @param stream the stream id
	 * @param payload the payload
	 * @return the frame's bytes
	 */
	public static byte[] frame(int type, int flags, int stream, byte[] payload) {
		ByteBuffer frame = ByteBuffer.allocate(9 + payload.length);
		frame.put((byte) (payload.length >>> 16)).put((byte) (payload.length >>> 8)).put((byte) payload.length);
		frame.put((byte) type).put((byte) flags).putInt(stream).put(payload);
		return frame.array();
	}

	/**
	 * Read the next frame.
	 * @param in the server's frames
	 * @return the frame
	 * @throws IOException if the socket fails or ends
	 */
	public static Frame read(DataInputStream in) throws IOException {
		int length = (in.readUnsignedByte() << 16) | (in.readUnsignedByte() << 8) | in.readUnsignedByte();
		int type = in.readUnsignedByte();
		int flags = in.readUnsignedByte();
		int stream = in.readInt() & 0x7fffffff;
		byte[] payload = new byte[length];
		in.readFully(payload);
		return new Frame(type, flags, stream, payload);
	}

	/**
	 * Read the next frame, acknowledging a PING on the way if there is one.
	 * @param client the socket to acknowledge on
	 * @param in the server's frames
	 * @return the frame
	 * @throws IOException if the socket fails or ends
	 */
	public static Frame readAcknowledgingPings(Socket client, DataInputStream in) throws IOException {
		Frame frame = read(in);
		if (frame.isPing()) {
			RawHttp.send(client, frame(0x6, 0x1, 0, frame.payload()));
		}
		return frame;
	}

	/**
	 * An HTTP/2 frame as read.
	 *
	 * @param type the frame type
	 * @param flags the flags
	 * @param stream the stream id
	 * @param payload the payload
	 */
	public record Frame(int type, int flags, int stream, byte[] payload) {

		/**
		 * Return whether this is a PING that asks for an acknowledgement.
		 * @return whether it is
		 */
		public boolean isPing() {
			return this.type == 0x6 && (this.flags & 0x1) == 0;
		}

		/**
		 * Return whether this frame ends its stream (END_STREAM on HEADERS or DATA).
		 * @return whether it does
		 */
		public boolean endsStream() {
			return (this.type == HEADERS || this.type == DATA) && (this.flags & 0x1) != 0;
		}

		/**
		 * Return the last stream id of a GOAWAY.
		 * @return the last stream id
		 */
		public int lastStreamId() {
			return ByteBuffer.wrap(this.payload).getInt() & 0x7fffffff;
		}

		@Override
		public String toString() {
			String text = "type " + this.type + " flags " + this.flags + " stream " + this.stream + " length "
					+ this.payload.length;
			return (this.type == GOAWAY) ? text + " last stream " + lastStreamId() : text;
		}

	}

}
