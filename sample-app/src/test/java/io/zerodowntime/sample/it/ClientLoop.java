package io.zerodowntime.sample.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.awaitility.Awaitility;

/**
 * A bounded client load for the upgrade and fault scenarios: a few threads, each sending
 * {@code GET /} on a new connection, pausing a little, and again, until {@link #close()}.
 * Every request has a timeout, so a stuck request is a {@link Kind#TIMEOUT} failure, not
 * a stuck test. Failures keep their kind, when the request started (so a failure can be
 * placed before or after an event) and what was seen.
 */
final class ClientLoop implements AutoCloseable {

	/** What went wrong with a request. */
	enum Kind {

		/** Nobody listened on the port. */
		REFUSED,

		/** The connection was reset. */
		RESET,

		/** No answer within the request timeout. */
		TIMEOUT,

		/** The connection was closed before a complete response. */
		CLOSED,

		/** A status other than 200. */
		STATUS,

		/** Anything else. */
		OTHER

	}

	/**
	 * One failed request.
	 *
	 * @param kind what went wrong
	 * @param startNanos {@link System#nanoTime()} when the request started
	 * @param millis when it started, since the load started
	 * @param thread which client thread
	 * @param startedAt when the request started, by the wall clock (to compare with the
	 * log)
	 * @param failedAt when it failed, by the wall clock
	 * @param detail the exception or the response
	 */
	record Failure(Kind kind, long startNanos, long millis, String thread, java.time.Instant startedAt,
			java.time.Instant failedAt, String detail) {

		@Override
		public String toString() {
			return this.kind + " (request started at +" + this.millis + " ms, " + this.startedAt + ", failed at "
					+ this.failedAt + " on " + this.thread + "): " + this.detail;
		}

	}

	private static final Duration HARD_DEADLINE = Duration.ofMinutes(30);

	private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

	private final int port;

	private final long startNanos = System.nanoTime();

	private final AtomicBoolean running = new AtomicBoolean(true);

	private final AtomicBoolean paused = new AtomicBoolean();

	private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();

	private final AtomicLong ok = new AtomicLong();

	private final List<Failure> failures = new ArrayList<>();

	private final Map<String, Long> servedBy = new TreeMap<>();

	private final List<Thread> threads = new ArrayList<>();

	private ClientLoop(int port) {
		this.port = port;
	}

	/** Start a load. */
	static ClientLoop start(int port, int threads) {
		ClientLoop load = new ClientLoop(port);
		for (int i = 0; i < threads; i++) {
			Thread thread = new Thread(load::run, "client-loop-" + i);
			thread.setDaemon(true);
			load.threads.add(thread);
			thread.start();
		}
		return load;
	}

	private void run() {
		long deadline = this.startNanos + HARD_DEADLINE.toNanos();
		while (this.running.get() && System.nanoTime() < deadline) {
			this.inFlight.incrementAndGet();
			if (this.paused.get()) {
				this.inFlight.decrementAndGet();
				try {
					Thread.sleep(5);
				}
				catch (InterruptedException ex) {
					return;
				}
				continue;
			}
			long start = System.nanoTime();
			java.time.Instant startedAt = java.time.Instant.now();
			try {
				Http.Response response = Http.get(this.port, "/", REQUEST_TIMEOUT);
				if (response.status() == 200) {
					this.ok.incrementAndGet();
					synchronized (this.servedBy) {
						this.servedBy.merge(String.valueOf(response.header("X-Generation")), 1L, Long::sum);
					}
				}
				else {
					fail(Kind.STATUS, start, startedAt, response.status() + " " + response.text().strip());
				}
			}
			catch (UncheckedIOException ex) {
				fail(classify(ex.getCause()), start, startedAt, ex.getMessage());
			}
			catch (RuntimeException ex) {
				fail(Kind.OTHER, start, startedAt, ex.toString());
			}
			finally {
				this.inFlight.decrementAndGet();
			}
			try {
				Thread.sleep(10);
			}
			catch (InterruptedException ex) {
				return;
			}
		}
	}

	private static Kind classify(IOException ex) {
		String message = String.valueOf(ex.getMessage()).toLowerCase(java.util.Locale.ROOT);
		if (ex instanceof ConnectException) {
			return Kind.REFUSED;
		}
		if (ex instanceof SocketTimeoutException) {
			return Kind.TIMEOUT;
		}
		if (ex instanceof SocketException && (message.contains("reset") || message.contains("broken pipe"))) {
			return Kind.RESET;
		}
		if (message.contains("closed before") || message.contains("end of stream")) {
			return Kind.CLOSED;
		}
		return Kind.OTHER;
	}

	private void fail(Kind kind, long start, java.time.Instant startedAt, String detail) {
		synchronized (this.failures) {
			this.failures.add(new Failure(kind, start, TimeUnit.NANOSECONDS.toMillis(start - this.startNanos),
					Thread.currentThread().getName(), startedAt, java.time.Instant.now(), detail));
		}
	}

	/** Return how many requests succeeded so far. */
	long ok() {
		return this.ok.get();
	}

	/** Return the failures so far. */
	List<Failure> failures() {
		synchronized (this.failures) {
			return List.copyOf(this.failures);
		}
	}

	/**
	 * Return how many successful requests each generation served ({@code X-Generation}).
	 */
	Map<String, Long> servedBy() {
		synchronized (this.servedBy) {
			return new TreeMap<>(this.servedBy);
		}
	}

	/** Return how many successful requests one generation served. */
	long servedBy(int generation) {
		return servedBy().getOrDefault(Integer.toString(generation), 0L);
	}

	/** Wait until some more requests have succeeded. */
	void awaitMoreOk(int count, Duration timeout) {
		long target = ok() + count;
		Awaitility.await(count + " more successful requests (" + summary() + ")")
			.atMost(timeout)
			.pollInterval(Duration.ofMillis(20))
			.until(() -> ok() >= target);
	}

	/** Return a one-line summary. */
	String summary() {
		return ok() + " ok, " + failures().size() + " failed, served by generation " + servedBy();
	}

	@Override
	public String toString() {
		return summary() + ((failures().isEmpty()) ? "" : ": " + failures());
	}

	/**
	 * Hold every client after its request in flight, and wait until none is in flight (to
	 * look at what the server holds without client connections).
	 */
	void pause() {
		this.paused.set(true);
		Awaitility.await("no request in flight")
			.atMost(Duration.ofSeconds(40))
			.pollInterval(Duration.ofMillis(5))
			.until(() -> this.inFlight.get() == 0);
	}

	/** Let the clients go on. */
	void resume() {
		this.paused.set(false);
	}

	/** Stop every client thread and wait for its request in flight. */
	@Override
	public void close() {
		this.running.set(false);
		for (Thread thread : this.threads) {
			try {
				thread.join(REQUEST_TIMEOUT.plusSeconds(5).toMillis());
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return;
			}
		}
	}

}
