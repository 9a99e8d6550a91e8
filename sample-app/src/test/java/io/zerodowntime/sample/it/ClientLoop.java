package io.zerodowntime.sample.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A bounded client load until {@link #close()}: threads each sending {@code GET /} on a
 * new connection every 10 ms, or on a kept-alive one ({@link #keepAlive}); or a
 * {@link #probe} connecting every 50 ms. Every attempt has a timeout (a stuck one is a
 * {@link Kind#TIMEOUT}). A failure keeps its kind, when it started, and what was seen.
 */
final class ClientLoop implements AutoCloseable {

	/** How often a probe connects. */
	static final Duration PROBE_INTERVAL = Duration.ofMillis(50);

	private static final Duration HARD_DEADLINE = Duration.ofMinutes(30);

	private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

	private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

	/** Refused, reset, timed out, closed before a full response, not 200, or else. */
	enum Kind {

		REFUSED, RESET, TIMEOUT, CLOSED, STATUS, OTHER

	}

	/** A failed request: kind, start (nanoTime, since load, clock), thread, end, what. */
	record Failure(Kind kind, long startNanos, long millis, String thread, Instant startedAt, Instant failedAt,
			String detail) {

		@Override
		public String toString() {
			return this.kind + " (request started at +" + this.millis + " ms, " + this.startedAt + ", failed at "
					+ this.failedAt + " on " + this.thread + "): " + this.detail;
		}

	}

	private enum Mode {

		NEW_CONNECTION, KEEP_ALIVE, PROBE

	}

	private final int port;

	private final Mode mode;

	private final AtomicLong retried = new AtomicLong();

	private final ThreadLocal<Http.Connection> connection = new ThreadLocal<>();

	private final long startNanos = System.nanoTime();

	private final AtomicBoolean running = new AtomicBoolean(true);

	private final AtomicBoolean paused = new AtomicBoolean();

	private final AtomicInteger inFlight = new AtomicInteger();

	private final AtomicLong ok = new AtomicLong();

	private final List<Failure> failures = new CopyOnWriteArrayList<>();

	private final Map<String, Long> servedBy = new ConcurrentHashMap<>();

	private final List<Thread> threads = new ArrayList<>();

	private ClientLoop(int port, Mode mode, int threads) {
		this.port = port;
		this.mode = mode;
		for (int i = 0; i < threads; i++) {
			Thread thread = new Thread(this::run, "client-loop-" + mode.name().toLowerCase(Locale.ROOT) + "-" + i);
			thread.setDaemon(true);
			this.threads.add(thread);
			thread.start();
		}
	}

	static ClientLoop start(int port, int threads) {
		return new ClientLoop(port, Mode.NEW_CONNECTION, threads);
	}

	/** Start clients that keep a connection (see {@link #keepAlive(long, Instant)}). */
	static ClientLoop keepAlive(int port, int threads) {
		return new ClientLoop(port, Mode.KEEP_ALIVE, threads);
	}

	/** Start a connect probe: a failure is refused, timed out (5 s) or another error. */
	static ClientLoop probe(int port) {
		return new ClientLoop(port, Mode.PROBE, 1);
	}

	private void run() {
		try {
			long deadline = this.startNanos + HARD_DEADLINE.toNanos();
			long next = System.nanoTime();
			while (this.running.get() && System.nanoTime() < deadline) {
				this.inFlight.incrementAndGet();
				if (this.paused.get()) {
					this.inFlight.decrementAndGet();
					if (!pause(TimeUnit.MILLISECONDS.toNanos(5))) {
						return;
					}
					continue;
				}
				long start = System.nanoTime();
				Instant startedAt = Instant.now();
				try {
					switch (this.mode) {
						case PROBE -> connect();
						case KEEP_ALIVE -> keepAlive(start, startedAt);
						default -> answered(Http.get(this.port, "/", REQUEST_TIMEOUT), start, startedAt);
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
				// the load's cadence, not a wait for a state: a probe keeps its interval
				next += PROBE_INTERVAL.toNanos();
				long wait = (this.mode == Mode.PROBE) ? next - System.nanoTime() : TimeUnit.MILLISECONDS.toNanos(10);
				if (wait <= 0) {
					next = System.nanoTime();
				}
				else if (!pause(wait)) {
					return;
				}
			}
		}
		finally {
			closeConnection();
		}
	}

	/**
	 * {@code GET /} on this thread's connection. Like any pooled HTTP client, a request
	 * on a reused connection that ends before a byte of response is sent again once on a
	 * new connection ({@link #retried()} counts those).
	 */
	private void keepAlive(long start, Instant startedAt) {
		Http.Connection held = this.connection.get();
		boolean reused = held != null;
		Http.Response response;
		try {
			response = (reused ? held : open()).get("/");
		}
		catch (UncheckedIOException ex) {
			closeConnection();
			Kind kind = classify(ex.getCause());
			// failed before a single byte of response: what an HTTP client retries once
			if (!reused || (kind != Kind.RESET && kind != Kind.CLOSED)) {
				throw ex;
			}
			this.retried.incrementAndGet();
			response = open().get("/");
		}
		if ("close".equalsIgnoreCase(String.valueOf(response.header("Connection")))) {
			closeConnection();
		}
		answered(response, start, startedAt);
	}

	private Http.Connection open() {
		Http.Connection opened = new Http.Connection(this.port, REQUEST_TIMEOUT);
		this.connection.set(opened);
		return opened;
	}

	private void closeConnection() {
		Http.Connection held = this.connection.get();
		if (held != null) {
			held.close();
			this.connection.remove();
		}
	}

	private void answered(Http.Response response, long start, Instant startedAt) {
		if (response.status() != 200) {
			fail(Kind.STATUS, start, startedAt, response.status() + " " + response.text().strip());
			return;
		}
		this.ok.incrementAndGet();
		this.servedBy.merge(String.valueOf(response.header("X-Generation")), 1L, Long::sum);
	}

	private void connect() {
		new Http.Connection(this.port, CONNECT_TIMEOUT).close();
		this.ok.incrementAndGet();
	}

	private static boolean pause(long nanos) {
		try {
			TimeUnit.NANOSECONDS.sleep(nanos);
			return true;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return false;
		}
	}

	private static Kind classify(IOException ex) {
		String message = String.valueOf(ex.getMessage()).toLowerCase(Locale.ROOT);
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

	private void fail(Kind kind, long start, Instant startedAt, String detail) {
		Failure failure = new Failure(kind, start, TimeUnit.NANOSECONDS.toMillis(start - this.startNanos),
				Thread.currentThread().getName(), startedAt, Instant.now(), detail);
		this.failures.add(failure);
		if (this.mode == Mode.PROBE) {
			System.out.println("[port-probe] " + failure);
		}
	}

	/** How many requests on a reused connection were sent again (see keepAlive). */
	long retried() {
		return this.retried.get();
	}

	/** How many requests (for a probe: connections) succeeded so far. */
	long ok() {
		return this.ok.get();
	}

	List<Failure> failures() {
		return List.copyOf(this.failures);
	}

	/** Successful requests by {@code X-Generation}. */
	Map<String, Long> servedBy() {
		return new TreeMap<>(this.servedBy);
	}

	long servedBy(int generation) {
		return servedBy().getOrDefault(Integer.toString(generation), 0L);
	}

	Duration elapsed() {
		return Duration.ofNanos(System.nanoTime() - this.startNanos);
	}

	void awaitMoreOk(int count, Duration timeout) {
		long target = ok() + count;
		AppUnderTest.await(count + " more successful requests", timeout, () -> ok() >= target,
				() -> "not " + count + " more successful requests within " + timeout + ": " + this);
	}

	String summary() {
		return ok() + " ok, " + failures().size() + " failed, "
				+ ((this.mode == Mode.KEEP_ALIVE) ? retried() + " retried on a new connection, " : "")
				+ "served by generation " + servedBy();
	}

	@Override
	public String toString() {
		return summary() + ((failures().isEmpty()) ? "" : ": " + failures());
	}

	/** Hold every client once its request in flight is over; wait for that. */
	void pause() {
		this.paused.set(true);
		AppUnderTest.await("no request in flight", Duration.ofSeconds(40), () -> this.inFlight.get() == 0,
				() -> this.inFlight.get() + " requests still in flight after 40 s: " + this);
	}

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
