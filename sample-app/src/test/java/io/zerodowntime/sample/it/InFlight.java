package io.zerodowntime.sample.it;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * A request in flight across an upgrade, on a thread of its own: a slow
 * {@code GET /slow?ms=N}, or a large {@code POST /upload} whose body is written slowly or
 * held back until a condition holds, so that it spans the trigger and the handover.
 */
final class InFlight {

	/**
	 * What came back: status, {@code X-Generation} and body, or -1 and the error; the
	 * time from the first byte written to the response read.
	 */
	record Outcome(String what, int status, String generation, String body, String error, long millis) {

		@Override
		public String toString() {
			return this.what + " -> " + ((this.error != null) ? "FAILED " + this.error : this.status
					+ " from generation " + this.generation + " after " + this.millis + " ms: " + this.body.trim());
		}

	}

	private static final Duration READ_TIMEOUT = Duration.ofSeconds(90);

	private final String what;

	private final CountDownLatch written = new CountDownLatch(1);

	private final CompletableFuture<Outcome> outcome = new CompletableFuture<>();

	private InFlight(String what) {
		this.what = what;
	}

	/** How a slow request uses its connection. */
	enum Reuse {

		/** The slow request is the connection's first. */
		NONE,

		/**
		 * The slow request follows a {@code GET /} on the same connection, which must
		 * keep it open.
		 */
		REQUIRED,

		/**
		 * As {@link #REQUIRED}, but as a client does when a generation that is handing
		 * over answers the first request with {@code Connection: close}: the slow request
		 * goes on a new connection.
		 */
		UNLESS_CLOSED

	}

	/** Start {@code GET /slow?ms=<ms>}, using its connection as {@code reuse} says. */
	static InFlight slow(int port, long ms, Reuse reuse) {
		String path = "/slow?ms=" + ms;
		InFlight request = new InFlight("GET " + path + ((reuse != Reuse.NONE) ? " on a reused connection" : ""));
		request.run(port, (connection) -> {
			if (reuse != Reuse.NONE) {
				Http.Response first = connection.get("/");
				boolean closed = "close".equalsIgnoreCase(first.header("Connection"));
				if (first.status() != 200 || (closed && reuse == Reuse.REQUIRED)) {
					throw new IllegalStateException("the first request on the connection was answered " + first);
				}
				if (closed) {
					try (Http.Connection next = new Http.Connection(port, READ_TIMEOUT)) {
						return request.send(next, path, port,
								" (the first answer closed the connection, from generation "
										+ first.header("X-Generation") + ": sent on a new one)");
					}
				}
			}
			return request.send(connection, path, port, "");
		});
		return request;
	}

	/**
	 * Start {@code GET /slow?ms=<ms>}, alone on its connection or after a {@code GET /}.
	 */
	static InFlight slow(int port, long ms, boolean reuse) {
		return slow(port, ms, reuse ? Reuse.REQUIRED : Reuse.NONE);
	}

	private Outcome send(Http.Connection connection, String path, int port, String note) {
		connection.send(Http.head("GET", path, port, null, -1, false));
		this.written.countDown();
		long start = System.nanoTime();
		Outcome outcome = outcome(connection.readResponse(), start, null);
		return note.isEmpty() ? outcome : new Outcome(outcome.what() + note, outcome.status(), outcome.generation(),
				outcome.body(), outcome.error(), outcome.millis());
	}

	/**
	 * Start {@code POST /upload} of random bytes: half at once, then 64 KB every
	 * {@code pace}, but 16 KB every 100 ms until {@code release} (at most 60 s).
	 */
	static InFlight upload(int port, int size, long seed, Duration pace, BooleanSupplier release) {
		byte[] body = new byte[size];
		new Random(seed).nextBytes(body);
		String expected = body.length + " " + sha256(body);
		InFlight request = new InFlight("POST /upload of " + size + " bytes (seed " + seed + ")");
		request.run(port, (connection) -> {
			long start = System.nanoTime();
			connection.send(Http.head("POST", "/upload", port, "application/octet-stream", body.length, false));
			int half = body.length / 2;
			connection.send(body, 0, half);
			request.written.countDown();
			int offset = half;
			long holdUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
			boolean released = false;
			while (offset < body.length) {
				released = released || release.getAsBoolean() || System.nanoTime() > holdUntil;
				int chunk = Math.min(released ? 64 * 1024 : 16 * 1024, body.length - offset);
				connection.send(body, offset, chunk);
				offset += chunk;
				// the upload's pace: what makes it span the trigger and the handover
				AppUnderTest.sleep(released ? pace.toMillis() : 100);
			}
			return request.outcome(connection.readResponse(), start, expected);
		});
		return request;
	}

	/** Wait until the request (for an upload, its first half) has been written. */
	void awaitWritten(Duration timeout) {
		AppUnderTest.await(this.what + " to be written", timeout,
				() -> this.written.getCount() == 0 || this.outcome.isDone(),
				() -> this.what + " not written within " + timeout);
	}

	Outcome await(Duration timeout) {
		Outcome none = new Outcome(this.what, -1, null, "", "no outcome within " + timeout, -1);
		return this.outcome.completeOnTimeout(none, timeout.toMillis(), TimeUnit.MILLISECONDS).join();
	}

	/** The outcome of a response; an error if a 200 does not answer {@code expected}. */
	private Outcome outcome(Http.Response response, long startNanos, String expected) {
		String body = response.text();
		String error = (response.status() == 200 && expected != null && !body.trim().equals(expected))
				? "wrong answer: expected '" + expected + "', got '" + body.trim() + "'" : null;
		return new Outcome(this.what, response.status(), response.header("X-Generation"), body, error,
				TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
	}

	private void run(int port, Function<Http.Connection, Outcome> exchange) {
		Thread thread = new Thread(() -> {
			long start = System.nanoTime();
			try (Http.Connection connection = new Http.Connection(port, READ_TIMEOUT)) {
				this.outcome.complete(exchange.apply(connection));
			}
			catch (RuntimeException ex) {
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

	private static String sha256(byte[] bytes) {
		try {
			return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException(ex);
		}
	}

}
