package io.zerodowntime.sample.it;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * The one HTTP/1.1 codec of the integration tests, on raw sockets. The static methods use
 * a connection per request ({@code Connection: close}): no pooled connection hides which
 * process served, every failure surfaces as it happened; a {@link Connection} keeps one
 * open for several requests or a request written piece by piece.
 */
final class Http {

	/** The address every test server listens on. */
	static final String HOST = "127.0.0.1";

	static final String JSON = "application/json";

	private static final Set<Integer> TLS_PORTS = ConcurrentHashMap.newKeySet();

	private Http() {
	}

	/**
	 * The ports below the kernel's ephemeral range that the integration tests listen on:
	 * fork {@code n} of {@code it.forks} picks in the {@code n}th share of it, so that
	 * two forks never pick the same port, and no client connection takes a port between
	 * the pick and the bind.
	 */
	private static final int PORTS_FROM = 10000;

	/** This fork's band of ports: its first port and its size; none outside a fork. */
	private static final int[] BAND = portBand(Integer.getInteger("it.fork", 0), Integer.getInteger("it.forks", 1));

	private static final Random PORT_PICKER = new Random();

	/**
	 * A port free on 127.0.0.1 a moment ago, in this fork's band of ports (an ephemeral
	 * one outside a failsafe fork).
	 */
	static int freePort() {
		if (BAND.length == 0) {
			return freePort(0);
		}
		for (int attempt = 0; attempt < 100; attempt++) {
			int port = BAND[0] + PORT_PICKER.nextInt(BAND[1]);
			try {
				return freePort(port);
			}
			catch (UncheckedIOException ex) {
				// taken: try another
			}
		}
		throw new IllegalStateException(
				"No free port in " + BAND[0] + "-" + (BAND[0] + BAND[1] - 1) + " after 100 attempts");
	}

	private static int[] portBand(int fork, int forks) {
		int size = (ephemeralPortsFrom() - PORTS_FROM) / Math.max(forks, 1);
		if (fork < 1 || fork > forks || size < 100) {
			return new int[0];
		}
		return new int[] { PORTS_FROM + (fork - 1) * size, size };
	}

	private static int freePort(int port) {
		try (ServerSocket socket = new ServerSocket()) {
			socket.setReuseAddress(false);
			socket.bind(new InetSocketAddress(InetAddress.getByName(HOST), port), 1);
			return socket.getLocalPort();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * The first port of the kernel's ephemeral range. Read as a stream: a
	 * {@code /proc/sys} file's size says 0, and a read sized by it returns one byte.
	 */
	private static int ephemeralPortsFrom() {
		try (BufferedReader reader = Files.newBufferedReader(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
			return Integer.parseInt(reader.readLine().trim().split("\\s+")[0]);
		}
		catch (IOException | RuntimeException ex) {
			return PORTS_FROM;
		}
	}

	static int[] freePorts(int count) {
		return IntStream.generate(Http::freePort).distinct().limit(count).toArray();
	}

	static Response get(int port, String path) {
		return get(port, path, Duration.ofSeconds(30));
	}

	/** {@code GET}, with a timeout to connect and for each read. */
	static Response get(int port, String path, Duration timeout) {
		return exchange(port, "GET", path, null, timeout);
	}

	/** {@code POST} of an empty body of a type, or of none ({@code null}, no type). */
	static Response post(int port, String path, String contentType, Duration timeout) {
		return exchange(port, "POST", path, contentType, timeout);
	}

	/** Speak HTTPS to a port from now on, trusting any certificate (the test's own). */
	static void useTls(int port) {
		TLS_PORTS.add(port);
	}

	private static Socket tls(Socket plain, int port) throws IOException {
		X509TrustManager trustAll = new X509TrustManager() {

			@Override
			public void checkClientTrusted(X509Certificate[] chain, String type) {
			}

			@Override
			public void checkServerTrusted(X509Certificate[] chain, String type) {
			}

			@Override
			public X509Certificate[] getAcceptedIssuers() {
				return new X509Certificate[0];
			}

		};
		try {
			SSLContext context = SSLContext.getInstance("TLS");
			context.init(null, new TrustManager[] { trustAll }, null);
			SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(plain, HOST, port, true);
			socket.startHandshake();
			return socket;
		}
		catch (GeneralSecurityException ex) {
			throw new IOException("Unable to set up TLS: " + ex, ex);
		}
	}

	private static Response exchange(int port, String method, String path, String contentType, Duration timeout) {
		try (Connection connection = new Connection(port, timeout)) {
			connection.send(head(method, path, port, contentType, (contentType != null) ? 0 : -1, false));
			return connection.readResponse();
		}
		catch (UncheckedIOException ex) {
			throw new UncheckedIOException(method + " http://" + HOST + ":" + port + path + " failed: " + ex.getCause(),
					ex.getCause());
		}
	}

	/** A request head: no body at {@code contentLength} -1, no close with keepAlive. */
	static byte[] head(String method, String path, int port, String contentType, long contentLength,
			boolean keepAlive) {
		StringBuilder head = new StringBuilder();
		head.append(method).append(' ').append(path).append(" HTTP/1.1\r\n");
		head.append("Host: ").append(HOST).append(':').append(port).append("\r\n");
		if (!keepAlive) {
			head.append("Connection: close\r\n");
		}
		if (contentType != null) {
			head.append("Content-Type: ").append(contentType).append("\r\n");
		}
		if (contentLength >= 0) {
			head.append("Content-Length: ").append(contentLength).append("\r\n");
		}
		return head.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII);
	}

	/**
	 * Read one response, its body by length, chunked or to the end of the stream (not
	 * with {@code keepAlive}); an incomplete one is an {@link IOException}.
	 */
	static Response read(InputStream in, boolean keepAlive) throws IOException {
		String statusLine = line(in);
		if (statusLine == null) {
			throw new IOException("connection closed before a status line");
		}
		String[] status = statusLine.split(" ", 3);
		if (status.length < 2 || !status[0].startsWith("HTTP/")) {
			throw new IOException("not an HTTP status line: '" + statusLine + "'");
		}
		int code = Integer.parseInt(status[1]);
		Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
		String line;
		while ((line = line(in)) != null && !line.isEmpty()) {
			int colon = line.indexOf(':');
			if (colon > 0) {
				headers.putIfAbsent(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
			}
		}
		if (line == null) {
			throw new IOException("connection closed inside the response headers");
		}
		String contentLength = headers.get("Content-Length");
		byte[] body;
		if (code == 204 || code == 304 || code < 200) {
			body = new byte[0];
		}
		else if (String.valueOf(headers.get("Transfer-Encoding")).toLowerCase(Locale.ROOT).contains("chunked")) {
			body = chunked(in);
		}
		else if (contentLength != null) {
			body = in.readNBytes(Integer.parseInt(contentLength));
			if (body.length < Integer.parseInt(contentLength)) {
				throw new IOException("connection closed inside the body");
			}
		}
		else if (keepAlive) {
			throw new IOException("a keep-alive response needs a length: " + statusLine + " " + headers);
		}
		else {
			body = in.readAllBytes();
		}
		return new Response(code, headers, body);
	}

	private static byte[] chunked(InputStream in) throws IOException {
		ByteArrayOutputStream body = new ByteArrayOutputStream();
		while (true) {
			String sizeLine = line(in);
			if (sizeLine == null) {
				throw new IOException("connection closed inside a chunked body");
			}
			int size = Integer.parseInt(sizeLine.split(";", 2)[0].trim(), 16);
			if (size == 0) {
				String trailer;
				while ((trailer = line(in)) != null && !trailer.isEmpty()) {
					// trailers are ignored
				}
				return body.toByteArray();
			}
			byte[] chunk = in.readNBytes(size);
			if (chunk.length < size) {
				throw new IOException("connection closed inside a chunk");
			}
			body.write(chunk);
			line(in);
		}
	}

	private static String line(InputStream in) throws IOException {
		ByteArrayOutputStream line = new ByteArrayOutputStream();
		int b;
		while ((b = in.read()) != -1) {
			if (b == '\n') {
				byte[] bytes = line.toByteArray();
				int length = (bytes.length > 0 && bytes[bytes.length - 1] == '\r') ? bytes.length - 1 : bytes.length;
				return new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
			}
			line.write(b);
		}
		return (line.size() > 0) ? line.toString(StandardCharsets.ISO_8859_1) : null;
	}

	/** One connection to 127.0.0.1 (HTTPS after {@link #useTls}). */
	static final class Connection implements AutoCloseable {

		private final int port;

		private final Socket plain = new Socket();

		private final Socket socket;

		private final InputStream in;

		Connection(int port, Duration timeout) {
			this.port = port;
			try {
				int millis = Math.toIntExact(timeout.toMillis());
				this.plain.connect(new InetSocketAddress(HOST, port), millis);
				this.plain.setSoTimeout(millis);
				this.socket = TLS_PORTS.contains(port) ? tls(this.plain, port) : this.plain;
				this.in = new BufferedInputStream(this.socket.getInputStream());
			}
			catch (IOException ex) {
				close();
				throw new UncheckedIOException("Unable to connect to port " + port + ": " + ex, ex);
			}
		}

		int localPort() {
			return this.plain.getLocalPort();
		}

		/** {@code GET <path>} without {@code Connection: close}. */
		Response get(String path) {
			send(head("GET", path, this.port, null, -1, true));
			return read(true);
		}

		void send(byte[] bytes) {
			send(bytes, 0, bytes.length);
		}

		void send(byte[] bytes, int offset, int length) {
			try {
				this.socket.getOutputStream().write(bytes, offset, length);
				this.socket.getOutputStream().flush();
			}
			catch (IOException ex) {
				throw new UncheckedIOException(
						"Sending " + length + " bytes on the connection from port " + localPort() + " failed: " + ex,
						ex);
			}
		}

		/** Read the response to a request sent with {@code Connection: close}. */
		Response readResponse() {
			return read(false);
		}

		private Response read(boolean keepAlive) {
			try {
				return Http.read(this.in, keepAlive);
			}
			catch (IOException ex) {
				throw new UncheckedIOException(
						"Reading a response on the connection from port " + localPort() + " failed: " + ex, ex);
			}
		}

		/**
		 * How the server ended the connection: {@code EOF} (a FIN), {@code RESET ...},
		 * {@code DATA} (more bytes), or {@code OPEN} (nothing within the read timeout).
		 */
		String end() {
			try {
				return (this.in.read() == -1) ? "EOF" : "DATA";
			}
			catch (SocketTimeoutException ex) {
				return "OPEN";
			}
			catch (IOException ex) {
				return "RESET (" + ex.getMessage() + ")";
			}
		}

		/** Return {@link #end()} without waiting more than a millisecond. */
		String peekEnd() {
			try {
				int timeout = this.socket.getSoTimeout();
				this.socket.setSoTimeout(1);
				try {
					return end();
				}
				finally {
					this.socket.setSoTimeout(timeout);
				}
			}
			catch (IOException ex) {
				return "RESET (" + ex.getMessage() + ")";
			}
		}

		@Override
		public void close() {
			try {
				this.plain.close();
			}
			catch (IOException ex) {
				// nothing to release
			}
		}

	}

	/**
	 * A response: its status code, headers by case-insensitive name (the first value of
	 * each) and body, de-chunked.
	 */
	record Response(int status, Map<String, String> headers, byte[] body) {

		String header(String name) {
			return this.headers.get(name);
		}

		String text() {
			return new String(this.body, StandardCharsets.UTF_8);
		}

		@Override
		public String toString() {
			return this.status + " " + this.headers + " " + text();
		}

	}

}
