package io.zerodowntime.sample.it;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * A request that is in flight across an upgrade, on a raw socket and a thread of its own:
 * a slow {@code GET /slow?ms=N} (on a new connection, or on a keep-alive connection that
 * has already served a request), or a large {@code POST /upload} whose body is written
 * slowly, or held back until a condition holds (such as: the next generation serves), so
 * that it spans the trigger and the handover. Its {@link Outcome} says what came back.
 */
final class InFlight {

	/**
	 * What came back.
	 *
	 * @param what the request, for messages
	 * @param status the status code, or -1 if there was no response
	 * @param generation the {@code X-Generation} that answered
	 * @param body the body
	 * @param error the exception, if there was no response
	 * @param millis from the first byte written to the response read
	 */
	record Outcome(String what, int status, String generation, String body, String error, long millis) {

		@Override
		public String toString() {
			return this.what + " -> " + ((this.error != null) ? "FAILED " + this.error : this.status
					+ " from generation " + this.generation + " after " + this.millis + " ms: " + this.body.trim());
		}

	}

	private static final int READ_TIMEOUT_MILLIS = 90_000;

	private final String what;

	private final CountDownLatch written = new CountDownLatch(1);

	private final CompletableFuture<Outcome> outcome = new CompletableFuture<>();

	private InFlight(String what) {
		this.what = what;
	}

	/**
	 * Start {@code GET /slow?ms=<ms>}.
	 * @param port the port
	 * @param ms how long the app sleeps before it answers
	 * @param reuse whether to send it on a keep-alive connection that first served
	 * {@code GET /} (else on a new connection)
	 * @return the request in flight
	 */
	static InFlight slow(int port, long ms, boolean reuse) {
		String path = "/slow?ms=" + ms;
		InFlight request = new InFlight("GET " + path + (reuse ? " on a reused connection" : ""));
		request.run(port, (socket, in, out) -> {
			if (reuse) {
				out.write(head("GET", "/", port, -1, true));
				out.flush();
				Response first = read(in);
				if (first.status != 200 || "close".equalsIgnoreCase(first.headers.get("connection"))) {
					throw new IOException(
							"the first request on the connection was answered " + first.status + " " + first.headers);
				}
			}
			out.write(head("GET", path, port, -1, false));
			out.flush();
			request.written.countDown();
			long start = System.nanoTime();
			return request.outcome(read(in), start);
		});
		return request;
	}

	/**
	 * Start {@code POST /upload} of a body of random bytes. The first half is written at
	 * once, the rest in 64 KB chunks, one every {@code pace}, and, while {@code hold}
	 * returns {@code false}, no faster than 16 KB every 100 ms.
	 * @param port the port
	 * @param size the body length
	 * @param seed the random bytes' seed
	 * @param pace the pause between two 64 KB chunks of the second half
	 * @param release when the second half may be written at the pace (at most 60 s of
	 * holding back)
	 * @return the request in flight
	 */
	static InFlight upload(int port, int size, long seed, Duration pace, BooleanSupplier release) {
		byte[] body = new byte[size];
		new Random(seed).nextBytes(body);
		String expected = body.length + " " + sha256(body);
		InFlight request = new InFlight("POST /upload of " + size + " bytes (seed " + seed + ")");
		request.run(port, (socket, in, out) -> {
			long start = System.nanoTime();
			out.write(head("POST", "/upload", port, body.length, false));
			int half = body.length / 2;
			out.write(body, 0, half);
			out.flush();
			request.written.countDown();
			int offset = half;
			long holdUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
			boolean released = false;
			while (offset < body.length) {
				released = released || release.getAsBoolean() || System.nanoTime() > holdUntil;
				int chunk = Math.min(released ? 64 * 1024 : 16 * 1024, body.length - offset);
				out.write(body, offset, chunk);
				out.flush();
				offset += chunk;
				// the upload's pace: what makes it span the trigger and the handover
				TimeUnit.MILLISECONDS.sleep(released ? pace.toMillis() : 100);
			}
			Outcome outcome = request.outcome(read(in), start);
			if (outcome.status() == 200 && !outcome.body().trim().equals(expected)) {
				return new Outcome(outcome.what(), outcome.status(), outcome.generation(), outcome.body(),
						"wrong answer: expected '" + expected + "', got '" + outcome.body().trim() + "'",
						outcome.millis());
			}
			return outcome;
		});
		return request;
	}

	/**
	 * Wait until the request (for an upload, its first half) has been written.
	 * @param timeout how long to wait
	 */
	void awaitWritten(Duration timeout) {
		try {
			if (!this.written.await(timeout.toMillis(), TimeUnit.MILLISECONDS) && !this.outcome.isDone()) {
				throw new AssertionError(this.what + " was not written within " + timeout);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new AssertionError("interrupted", ex);
		}
	}

	/**
	 * Wait for the outcome.
	 * @param timeout how long to wait
	 * @return what came back
	 */
	Outcome await(Duration timeout) {
		try {
			return this.outcome.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (TimeoutException ex) {
			return new Outcome(this.what, -1, null, "", "no outcome within " + timeout, -1);
		}
		catch (ExecutionException ex) {
			return new Outcome(this.what, -1, null, "", String.valueOf(ex.getCause()), -1);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new AssertionError("interrupted", ex);
		}
	}

	private Outcome outcome(Response response, long startNanos) {
		return new Outcome(this.what, response.status, response.headers.get("x-generation"),
				new String(response.body, StandardCharsets.UTF_8), null,
				TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
	}

	private void run(int port, Exchange exchange) {
		Thread thread = new Thread(() -> {
			long start = System.nanoTime();
			try (Socket socket = new Socket()) {
				socket.connect(new InetSocketAddress(Http.HOST, port), 10_000);
				socket.setSoTimeout(READ_TIMEOUT_MILLIS);
				this.outcome.complete(exchange.run(socket, new BufferedInputStream(socket.getInputStream()),
						socket.getOutputStream()));
			}
			catch (Exception ex) {
				this.outcome.complete(new Outcome(this.what, -1, null, "", ex.toString(),
						TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)));
			}
			finally {
				this.written.countDown();
			}
		}, "in-flight " + this.what);
		thread.setDaemon(true);
		thread.start();
	}

	private static byte[] head(String method, String path, int port, long contentLength, boolean keepAlive) {
		StringBuilder head = new StringBuilder();
		head.append(method).append(' ').append(path).append(" HTTP/1.1\r\n");
		head.append("Host: ").append(Http.HOST).append(':').append(port).append("\r\n");
		if (!keepAlive) {
			head.append("Connection: close\r\n");
		}
		if (contentLength >= 0) {
			head.append("Content-Type: application/octet-stream\r\n");
			head.append("Content-Length: ").append(contentLength).append("\r\n");
		}
		head.append("\r\n");
		return head.toString().getBytes(StandardCharsets.US_ASCII);
	}

	private static Response read(InputStream in) throws IOException {
		String statusLine = line(in);
		if (statusLine == null) {
			throw new IOException("connection closed before a status line");
		}
		String[] status = statusLine.split(" ", 3);
		if (status.length < 2 || !status[0].startsWith("HTTP/")) {
			throw new IOException("not an HTTP status line: '" + statusLine + "'");
		}
		Map<String, String> headers = new TreeMap<>();
		String line;
		while ((line = line(in)) != null && !line.isEmpty()) {
			int colon = line.indexOf(':');
			if (colon > 0) {
				headers.putIfAbsent(line.substring(0, colon).trim().toLowerCase(Locale.ROOT),
						line.substring(colon + 1).trim());
			}
		}
		if (line == null) {
			throw new IOException("connection closed inside the response headers");
		}
		byte[] body;
		String length = headers.get("content-length");
		if (String.valueOf(headers.get("transfer-encoding")).toLowerCase(Locale.ROOT).contains("chunked")) {
			ByteArrayOutputStream chunks = new ByteArrayOutputStream();
			while (true) {
				String size = line(in);
				if (size == null) {
					throw new IOException("connection closed inside a chunked body");
				}
				int n = Integer.parseInt(size.split(";")[0].trim(), 16);
				if (n == 0) {
					while ((line = line(in)) != null && !line.isEmpty()) {
						// trailers
					}
					break;
				}
				byte[] chunk = in.readNBytes(n);
				if (chunk.length < n) {
					throw new IOException("connection closed inside a chunk");
				}
				chunks.write(chunk);
				line(in);
			}
			body = chunks.toByteArray();
		}
		else if (length != null) {
			body = in.readNBytes(Integer.parseInt(length));
			if (body.length < Integer.parseInt(length)) {
				throw new IOException("connection closed inside the body");
			}
		}
		else {
			body = in.readAllBytes();
		}
		return new Response(Integer.parseInt(status[1]), headers, body);
	}

	private static String line(InputStream in) throws IOException {
		ByteArrayOutputStream line = new ByteArrayOutputStream();
		int b;
		while ((b = in.read()) != -1) {
			if (b == '\n') {
				byte[] bytes = line.toByteArray();
				int end = (bytes.length > 0 && bytes[bytes.length - 1] == '\r') ? bytes.length - 1 : bytes.length;
				return new String(bytes, 0, end, StandardCharsets.ISO_8859_1);
			}
			line.write(b);
		}
		return (line.size() > 0) ? line.toString(StandardCharsets.ISO_8859_1) : null;
	}

	private static String sha256(byte[] bytes) {
		try {
			return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private record Response(int status, Map<String, String> headers, byte[] body) {

	}

	@FunctionalInterface
	private interface Exchange {

		Outcome run(Socket socket, InputStream in, OutputStream out) throws Exception;

	}

}
