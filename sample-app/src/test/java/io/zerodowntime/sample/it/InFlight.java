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

import org.awaitility.Awaitility;

/**
 * A request that is in flight across an upgrade, on a raw socket and a thread of its own:
 * a slow {@code GET /slow?ms=N} (on a new connection, or on a keep-alive connection that
 * has already served a request), or a large {@code POST /upload} whose body is written
 * slowly, or held back until a condition holds (such as: the next generation serves), so
 * that it spans the trigger and the handover. Its {@link Outcome} says what came back.
 */
final class InFlight {

	/**
	 * What came back for a request ({@code what}): the status code and the
	 * {@code X-Generation} and body of the response, or -1 and the {@code error}; the
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

	/**
	 * Start {@code GET /slow?ms=<ms>}, on a new connection, or with {@code reuse} on a
	 * keep-alive connection that first served {@code GET /}.
	 */
	static InFlight slow(int port, long ms, boolean reuse) {
		String path = "/slow?ms=" + ms;
		InFlight request = new InFlight("GET " + path + (reuse ? " on a reused connection" : ""));
		request.run(port, (connection) -> {
			if (reuse) {
				Http.Response first = connection.get("/");
				if (first.status() != 200 || "close".equalsIgnoreCase(first.header("Connection"))) {
					throw new IllegalStateException("the first request on the connection was answered " + first);
				}
			}
			connection.send(Http.head("GET", path, port, null, -1, false));
			request.written.countDown();
			long start = System.nanoTime();
			return request.outcome(connection.readResponse(), start);
		});
		return request;
	}

	/**
	 * Start {@code POST /upload} of a body of random bytes. The first half is written at
	 * once, the rest in 64 KB chunks, one every {@code pace}, and, while {@code release}
	 * returns {@code false} (at most 60 s), no faster than 16 KB every 100 ms.
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
			Outcome outcome = request.outcome(connection.readResponse(), start);
			if (outcome.status() == 200 && !outcome.body().trim().equals(expected)) {
				return new Outcome(outcome.what(), outcome.status(), outcome.generation(), outcome.body(),
						"wrong answer: expected '" + expected + "', got '" + outcome.body().trim() + "'",
						outcome.millis());
			}
			return outcome;
		});
		return request;
	}

	/** Wait until the request (for an upload, its first half) has been written. */
	void awaitWritten(Duration timeout) {
		Awaitility.await(this.what + " to be written")
			.atMost(timeout)
			.pollInterval(Duration.ofMillis(10))
			.until(() -> this.written.getCount() == 0 || this.outcome.isDone());
	}

	Outcome await(Duration timeout) {
		Outcome none = new Outcome(this.what, -1, null, "", "no outcome within " + timeout, -1);
		return this.outcome.completeOnTimeout(none, timeout.toMillis(), TimeUnit.MILLISECONDS).join();
	}

	private Outcome outcome(Http.Response response, long startNanos) {
		return new Outcome(this.what, response.status(), response.header("X-Generation"), response.text(), null,
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
