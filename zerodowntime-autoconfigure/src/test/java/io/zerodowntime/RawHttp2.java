package io.zerodowntime;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * One HTTP/2 connection spoken frame by frame on a plain socket (h2c with prior
 * knowledge), for the server adapters' drain tests: which GOAWAY comes when, and which
 * stream it covers, is the point, so no client library stands in between. Every frame
 * read is kept, in order, for the assertions and their messages.
 */
public final class RawHttp2 {

	private static final int DATA = 0x0;

	private static final int HEADERS = 0x1;

	private static final int SETTINGS = 0x4;

	private static final int PING = 0x6;

	private static final int GOAWAY = 0x7;

	private final Socket client;

	private final DataInputStream in;

	private final List<Frame> seen = new ArrayList<>();

	private boolean acknowledgePings = true;

	private RawHttp2(Socket client) throws IOException {
		this.client = client;
		this.in = new DataInputStream(client.getInputStream());
	}

	/**
	 * Open an h2c session: send the preface and empty SETTINGS, read the server's
	 * SETTINGS.
	 * @param client a connected socket
	 * @return the connection
	 * @throws IOException if the socket fails or the server's first frame is not SETTINGS
	 */
	public static RawHttp2 open(Socket client) throws IOException {
		RawHttp.send(client, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
		RawHttp.send(client, frame(SETTINGS, 0, 0, new byte[0]));
		RawHttp2 connection = new RawHttp2(client);
		Frame first = connection.read();
		if (first.type() != SETTINGS) {
			throw new IOException("the server's first frame is not SETTINGS: " + first);
		}
		return connection;
	}

	/**
	 * Send {@code GET path} on a stream, the stream ended by its HEADERS.
	 * @param stream the stream id, odd
	 * @param path the path
	 * @throws IOException if the write fails
	 */
	public void get(int stream, String path) throws IOException {
		RawHttp.send(this.client, getFrame(stream, path));
	}

	/**
	 * From now on, leave the server's PINGs unacknowledged.
	 */
	public void ignorePings() {
		this.acknowledgePings = false;
	}

	/**
	 * Read frames until one matches, acknowledging PINGs unless {@link #ignorePings()}.
	 * @param last what the last frame to read is
	 * @return that frame
	 * @throws IOException if the socket fails or ends first
	 */
	public Frame readUntil(Predicate<Frame> last) throws IOException {
		while (true) {
			Frame frame = read();
			if (frame.isPing() && this.acknowledgePings) {
				RawHttp.send(this.client, frame(PING, 0x1, 0, frame.payload()));
			}
			if (last.test(frame)) {
				return frame;
			}
		}
	}

	/**
	 * Return every frame read so far, in order.
	 * @return the frames
	 */
	public List<Frame> seen() {
		return this.seen;
	}

	/**
	 * Return the body the server sent on a stream so far.
	 * @param stream the stream id
	 * @return its DATA frames' payloads as text
	 */
	public String body(int stream) {
		StringBuilder body = new StringBuilder();
		for (Frame frame : this.seen) {
			if (frame.type() == DATA && frame.stream() == stream) {
				body.append(new String(frame.payload(), StandardCharsets.US_ASCII));
			}
		}
		return body.toString();
	}

	private Frame read() throws IOException {
		int length = (this.in.readUnsignedByte() << 16) | (this.in.readUnsignedByte() << 8)
				| this.in.readUnsignedByte();
		int type = this.in.readUnsignedByte();
		int flags = this.in.readUnsignedByte();
		int stream = this.in.readInt() & 0x7fffffff;
		byte[] payload = new byte[length];
		this.in.readFully(payload);
		Frame frame = new Frame(type, flags, stream, payload);
		this.seen.add(frame);
		return frame;
	}

	/**
	 * A HEADERS frame of {@code GET path} that ends its stream (HPACK: indexed
	 * {@code :method GET}, {@code :scheme http}, literal {@code :path} and
	 * {@code :authority}, no Huffman).
	 * @param stream the stream id, odd
	 * @param path the path, under 127 bytes
	 * @return the frame's bytes
	 */
	private static byte[] getFrame(int stream, String path) {
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
	private static byte[] frame(int type, int flags, int stream, byte[] payload) {
		ByteBuffer frame = ByteBuffer.allocate(9 + payload.length);
		frame.put((byte) (payload.length >>> 16)).put((byte) (payload.length >>> 8)).put((byte) payload.length);
		frame.put((byte) type).put((byte) flags).putInt(stream).put(payload);
		return frame.array();
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
			return this.type == PING && (this.flags & 0x1) == 0;
		}

		/**
		 * Return whether this frame ends a stream (END_STREAM on its HEADERS or DATA).
		 * @param stream the stream id
		 * @return whether it does
		 */
		public boolean ends(int stream) {
			return this.stream == stream && (this.type == HEADERS || this.type == DATA) && (this.flags & 0x1) != 0;
		}

		/**
		 * Return whether this is a GOAWAY.
		 * @return whether it is
		 */
		public boolean isGoAway() {
			return this.type == GOAWAY;
		}

		/**
		 * Return whether this is a GOAWAY that names the last stream served, not the
		 * graceful first one (last stream 2^31-1).
		 * @return whether it is
		 */
		public boolean isLastGoAway() {
			return isGoAway() && lastStreamId() != Integer.MAX_VALUE;
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
