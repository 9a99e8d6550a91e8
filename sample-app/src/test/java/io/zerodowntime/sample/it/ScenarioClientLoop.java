package io.zerodowntime.sample.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Clients that keep sending {@code GET <path>} from several threads, one connection per
 * request, until {@link #close()} (or a hard deadline), and record every failure with its
 * kind, its time and what was seen, and which generation served each successful request
 * ({@code X-Generation}).
 *
 * <p>
 * Each request is bounded by a timeout, so a stuck request is a {@link Kind#TIMEOUT}
 * failure rather than a stuck test.
 */
public final class ScenarioClientLoop implements AutoCloseable {

	/** What went wrong with a request. */
	public enum Kind {

		/** The connection was refused: nobody listened on the port. */
		REFUSED,

		/** The connection was reset. */
		RESET,

		/** No answer within the request timeout. */
		TIMEOUT,

		/** The connection was closed before a complete response. */
		CLOSED,

		/** A response other than 200. */
		STATUS,

		/** Anything else. */
		OTHER

	}

	/**
	 * One failed request.
	 *
	 * @param kind what went wrong
	 * @param atMillis when, since the loop started
	 * @param at when, by the wall clock (to compare with the application's log)
	 * @param thread which client thread
	 * @param detail the exception or the response
	 */
	public record Failure(Kind kind, long atMillis, java.time.Instant at, String thread, String detail) {

		@Override
		public String toString() {
			return this.kind + " at +" + this.atMillis + " ms (" + this.at + ") on " + this.thread + ": "
					+ this.detail;
		}

	}

	private static final Duration HARD_DEADLINE = Duration.ofMinutes(3);

	private final int port;

	private final String path;

	private final Duration requestTimeout;

	private final Duration pause;

	private final long startNanos = System.nanoTime();

	private final AtomicBoolean running = new AtomicBoolean(true);

	private final AtomicInteger ok = new AtomicInteger();

	private final List<Failure> failures = Collections.synchronizedList(new ArrayList<>());

	private final Map<String, Integer> servedBy = Collections.synchronizedMap(new TreeMap<>());

	private final List<Thread> threads = new ArrayList<>();

	private ScenarioClientLoop(int port, String path, int threads, Duration requestTimeout, Duration pause) {
		this.port = port;
		this.path = path;
		this.requestTimeout = requestTimeout;
		this.pause = pause;
		for (int i = 0; i < threads; i++) {
			Thread thread = new Thread(this::run, "client-loop-" + port + "-" + i);
			thread.setDaemon(true);
			this.threads.add(thread);
		}
		this.threads.forEach(Thread::start);
	}

	/**
	 * Start clients sending {@code GET /}: each request times out after 10 s, and each
	 * thread pauses a few milliseconds between requests so the machine still has time to
	 * start the next generation.
	 * @param port the port
	 * @param threads how many client threads
	 * @return the running loop
	 */
	public static ScenarioClientLoop start(int port, int threads) {
		return new ScenarioClientLoop(port, "/", threads, Duration.ofSeconds(10), Duration.ofMillis(5));
	}

	private void run() {
		long deadline = this.startNanos + HARD_DEADLINE.toNanos();
		while (this.running.get() && System.nanoTime() < deadline) {
			try {
				Http.Response response = Http.get(this.port, this.path, this.requestTimeout);
				if (response.status() == 200) {
					this.ok.incrementAndGet();
					this.servedBy.merge(String.valueOf(response.header("X-Generation")), 1, Integer::sum);
				}
				else {
					fail(Kind.STATUS, response.toString());
				}
			}
			catch (UncheckedIOException ex) {
				fail(kind(ex.getCause()), ex.getMessage());
			}
			catch (RuntimeException ex) {
				fail(Kind.OTHER, ex.toString());
			}
			pause();
		}
	}

	private void pause() {
		if (this.pause.isZero()) {
			return;
		}
		// pacing between requests, not a wait for a state
		try {
			TimeUnit.NANOSECONDS.sleep(this.pause.toNanos());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			this.running.set(false);
		}
	}

	private static Kind kind(IOException ex) {
		if (ex instanceof ConnectException) {
			return Kind.REFUSED;
		}
		if (ex instanceof SocketTimeoutException) {
			return Kind.TIMEOUT;
		}
		String message = String.valueOf(ex.getMessage()).toLowerCase(java.util.Locale.ROOT);
		if (ex instanceof SocketException && (message.contains("reset") || message.contains("broken pipe"))) {
			return Kind.RESET;
		}
		if (message.contains("closed")) {
			return Kind.CLOSED;
		}
		return Kind.OTHER;
	}

	private void fail(Kind kind, String detail) {
		Failure failure = new Failure(kind, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - this.startNanos),
				java.time.Instant.now(), Thread.currentThread().getName(), detail);
		this.failures.add(failure);
		System.out.println("[client-loop] FAILURE " + failure);
	}

	/**
	 * Return the number of successful requests so far.
	 * @return the count
	 */
	public int ok() {
		return this.ok.get();
	}

	/**
	 * Return the number of successful requests served by a generation so far.
	 * @param generation the generation number
	 * @return the count
	 */
	public int servedBy(int generation) {
		return this.servedBy.getOrDefault(Integer.toString(generation), 0);
	}

	/**
	 * Return how many successful requests each generation served ({@code X-Generation}).
	 * @return the counts, by generation
	 */
	public Map<String, Integer> servedBy() {
		synchronized (this.servedBy) {
			return Map.copyOf(this.servedBy);
		}
	}

	/**
	 * Return every failure so far.
	 * @return the failures
	 */
	public List<Failure> failures() {
		synchronized (this.failures) {
			return List.copyOf(this.failures);
		}
	}

	/**
	 * Stop the clients and wait for the requests in flight.
	 */
	@Override
	public void close() {
		this.running.set(false);
		for (Thread thread : this.threads) {
			try {
				thread.join(this.requestTimeout.toMillis() * 3);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return;
			}
		}
	}

	@Override
	public String toString() {
		return "ScenarioClientLoop[ok=" + ok() + ", servedBy=" + servedBy() + ", failures=" + failures() + "]";
	}

}
