package io.zerodowntime;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * HTTP/1.1 written and read byte by byte on a plain socket, for the server adapters'
 * drain tests: what a client sees (pipelined requests, {@code Connection: close}, a FIN
 * or a reset) is the point, so no client library stands in between.
 */
public final class RawHttp {

	private RawHttp() {
	}

	/**
	 * Write requests as they are, in one flush.
	 * @param socket the connection
	 * @param requests the requests, e.g. {@code get("/a") + get("/b")}
	 * @throws IOException if the write fails
	 */
	public static void send(Socket socket, String requests) throws IOException {
		send(socket, requests.getBytes(StandardCharsets.US_ASCII));
	}

	/**
	 * Write bytes as they are, in one flush (HTTP/2 frames, say).
	 * @param socket the connection
	 * @param bytes the bytes
	 * @throws IOException if the write fails
	 */
	public static void send(Socket socket, byte[] bytes) throws IOException {
		OutputStream out = socket.getOutputStream();
		out.write(bytes);
		out.flush();
	}

	/**
	 * A GET request.
	 * @param path the path
	 * @return the request's bytes as text
	 */
	public static String get(String path) {
		return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
	}

	/**
	 * Read one response whose body has a {@code Content-Length}.
	 * @param in the connection's input
	 * @return the head and the body
	 * @throws IOException on a read failure or an end of stream in the head
	 */
	public static String readResponse(InputStream in) throws IOException {
		ByteArrayOutputStream head = new ByteArrayOutputStream();
		while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
			int b = in.read();
			if (b < 0) {
				throw new IOException("EOF in the headers: " + head);
			}
			head.write(b);
		}
		String headers = head.toString(StandardCharsets.US_ASCII);
		int length = 0;
		for (String line : headers.split("\r\n")) {
			if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
				length = Integer.parseInt(line.substring("content-length:".length()).trim());
			}
		}
		return headers + new String(in.readNBytes(length), StandardCharsets.US_ASCII);
	}

	/**
	 * Read until the server closes the connection.
	 * @param socket the connection
	 * @return what was read (nothing after a reset), and the failure if it was not a FIN
	 */
	public static Received readToEnd(Socket socket) {
		ByteArrayOutputStream bytes = new ByteArrayOutputStream();
		IOException failure = null;
		try {
			bytes.write(socket.getInputStream().readAllBytes());
		}
		catch (IOException ex) {
			failure = ex;
		}
		return new Received(bytes.toString(StandardCharsets.US_ASCII), failure);
	}

	/**
	 * Read the first byte, or nothing within the socket's timeout.
	 * @param socket the connection
	 * @return the byte as text, {@code "EOF"} at an end of stream, or {@code null} when
	 * nothing came
	 * @throws IOException on another read failure
	 */
	public static String readOrTimeout(Socket socket) throws IOException {
		try {
			int first = socket.getInputStream().read();
			return (first < 0) ? "EOF" : "" + (char) first;
		}
		catch (SocketTimeoutException ex) {
			return null;
		}
	}

	/**
	 * What a client read until the server closed the connection.
	 *
	 * @param text everything read
	 * @param failure what ended the read if it was not a FIN (a reset), or {@code null}
	 */
	public record Received(String text, IOException failure) {

		/**
		 * The responses in what was read, each from its status line to the next one.
		 * @return the responses
		 */
		public List<String> responses() {
			List<String> responses = new ArrayList<>();
			int start = this.text.indexOf("HTTP/1.1 ");
			while (start >= 0) {
				int next = this.text.indexOf("HTTP/1.1 ", start + 1);
				responses.add(this.text.substring(start, (next < 0) ? this.text.length() : next));
				start = next;
			}
			return responses;
		}

	}

}
