package io.zerodowntime.sample.it;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * One persistent HTTP/1.1 connection (keep-alive), for checks that hold a connection open
 * across an upgrade: several requests in turn on the same socket.
 */
public final class ScenarioKeepAlive implements AutoCloseable {

	private static final String TCP_ESTABLISHED = "01";

	private final int port;

	private final Socket socket;

	private final InputStream in;

	private ScenarioKeepAlive(int port, Socket socket) throws IOException {
		this.port = port;
		this.socket = socket;
		this.in = new BufferedInputStream(socket.getInputStream());
	}

	/**
	 * Connect to {@code 127.0.0.1:<port>}.
	 * @param port the port
	 * @param timeout the timeout for connecting and for each read
	 * @return the connection
	 */
	public static ScenarioKeepAlive open(int port, Duration timeout) {
		Socket socket = new Socket();
		try {
			int millis = Math.toIntExact(timeout.toMillis());
			socket.connect(new InetSocketAddress(Http.HOST, port), millis);
			socket.setSoTimeout(millis);
			return new ScenarioKeepAlive(port, socket);
		}
		catch (IOException ex) {
			try {
				socket.close();
			}
			catch (IOException closing) {
				ex.addSuppressed(closing);
			}
			throw new UncheckedIOException("Unable to connect to port " + port, ex);
		}
	}

	/**
	 * Return the local (client) port of this connection.
	 * @return the port
	 */
	public int localPort() {
		return this.socket.getLocalPort();
	}

	/**
	 * Send {@code GET <path>} without {@code Connection: close} and read the response.
	 * @param path the path
	 * @return the response
	 */
	public Http.Response get(String path) {
		try {
			String head = "GET " + path + " HTTP/1.1\r\nHost: " + Http.HOST + ":" + this.port + "\r\n\r\n";
			this.socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
			this.socket.getOutputStream().flush();
			return read();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(
					"GET " + path + " on the connection from port " + localPort() + " failed: " + ex, ex);
		}
	}

	/**
	 * Write raw bytes (part of a request) to the connection.
	 * @param bytes the bytes
	 * @param offset where they start
	 * @param length how many
	 */
	public void send(byte[] bytes, int offset, int length) {
		try {
			this.socket.getOutputStream().write(bytes, offset, length);
			this.socket.getOutputStream().flush();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(
					"Sending " + length + " bytes on the connection from port " + localPort() + " failed: " + ex, ex);
		}
	}

	/**
	 * Read one response (with a Content-Length or chunked body).
	 * @return the response
	 */
	public Http.Response readResponse() {
		try {
			return read();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(
					"Reading a response on the connection from port " + localPort() + " failed: " + ex, ex);
		}
	}

	/**
	 * Return whether the server has closed the connection: the next read sees end of
	 * stream (blocks up to the read timeout).
	 * @return whether the stream ended
	 */
	public boolean serverClosed() {
		try {
			return this.in.read() == -1;
		}
		catch (IOException ex) {
			return true;
		}
	}

	private Http.Response read() throws IOException {
		String statusLine = line();
		if (statusLine == null) {
			throw new IOException("connection closed before a status line");
		}
		String[] status = statusLine.split(" ", 3);
		int code = Integer.parseInt(status[1]);
		Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
		String line;
		while ((line = line()) != null && !line.isEmpty()) {
			int colon = line.indexOf(':');
			if (colon > 0) {
				headers.computeIfAbsent(line.substring(0, colon).trim(), (k) -> new ArrayList<>())
					.add(line.substring(colon + 1).trim());
			}
		}
		byte[] body;
		List<String> length = headers.get("Content-Length");
		List<String> encoding = headers.get("Transfer-Encoding");
		if (encoding != null && encoding.get(0).toLowerCase(Locale.ROOT).contains("chunked")) {
			ByteArrayOutputStream out = new ByteArrayOutputStream();
			while (true) {
				String size = line();
				if (size == null) {
					throw new IOException("connection closed inside a chunked body");
				}
				int semicolon = size.indexOf(';');
				int count = Integer.parseInt((semicolon >= 0) ? size.substring(0, semicolon).trim() : size.trim(), 16);
				if (count == 0) {
					while ((line = line()) != null && !line.isEmpty()) {
						// trailers
					}
					break;
				}
				out.write(this.in.readNBytes(count));
				line();
			}
			body = out.toByteArray();
		}
		else if (length != null) {
			body = this.in.readNBytes(Integer.parseInt(length.get(0)));
		}
		else {
			throw new IOException("a keep-alive response needs a length: " + statusLine + " " + headers);
		}
		return new Http.Response(code, headers, body);
	}

	private String line() throws IOException {
		ByteArrayOutputStream line = new ByteArrayOutputStream();
		int b;
		while ((b = this.in.read()) != -1) {
			if (b == '\n') {
				byte[] bytes = line.toByteArray();
				int end = (bytes.length > 0 && bytes[bytes.length - 1] == '\r') ? bytes.length - 1 : bytes.length;
				return new String(bytes, 0, end, StandardCharsets.ISO_8859_1);
			}
			line.write(b);
		}
		return (line.size() > 0) ? line.toString(StandardCharsets.ISO_8859_1) : null;
	}

	@Override
	public void close() {
		try {
			this.socket.close();
		}
		catch (IOException ex) {
			// nothing to release
		}
	}

	/**
	 * Return the socket inodes of the established connections whose local port is a
	 * server port, by remote (client) port, from {@code /proc/net/tcp} and
	 * {@code /proc/net/tcp6}: the server's side of every accepted connection. An inode of
	 * 0 means the connection is still in the accept queue.
	 * @param serverPort the server port
	 * @return the inodes, by client port
	 */
	public static Map<Integer, Long> serverSideInodes(int serverPort) {
		Map<Integer, Long> inodes = new LinkedHashMap<>();
		for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
			Path path = Path.of(table);
			if (!Files.exists(path)) {
				continue;
			}
			List<String> lines;
			try {
				lines = Files.readAllLines(path);
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
			for (String line : lines.subList(1, lines.size())) {
				String[] fields = line.trim().split("\\s+");
				int localPort = port(fields[1]);
				int remotePort = port(fields[2]);
				if (localPort == serverPort && TCP_ESTABLISHED.equals(fields[3])) {
					inodes.put(remotePort, Long.parseLong(fields[9]));
				}
			}
		}
		return inodes;
	}

	private static int port(String address) {
		return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1), 16);
	}

}
