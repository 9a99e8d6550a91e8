package io.zerodowntime.sample.it;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Connects to the port every 50 ms (and closes at once) for as long as it runs, and
 * records every attempt that did not connect: refused (nobody listening), timed out (the
 * listen backlog full for 5 s), or any other error.
 */
final class PortProbe implements AutoCloseable {

	static final Duration INTERVAL = Duration.ofMillis(50);

	private static final int CONNECT_TIMEOUT_MILLIS = 5000;

	private final int port;

	private final long startNanos = System.nanoTime();

	private final AtomicBoolean running = new AtomicBoolean(true);

	private final AtomicLong attempts = new AtomicLong();

	private final AtomicLong connected = new AtomicLong();

	private final List<String> failures = Collections.synchronizedList(new ArrayList<>());

	private final Thread thread;

	private PortProbe(int port) {
		this.port = port;
		this.thread = new Thread(this::run, "port-probe-" + port);
		this.thread.setDaemon(true);
		this.thread.start();
	}

	/** Start probing. */
	static PortProbe start(int port) {
		return new PortProbe(port);
	}

	private void run() {
		long next = System.nanoTime();
		long deadline = this.startNanos + TimeUnit.MINUTES.toNanos(5);
		while (this.running.get() && System.nanoTime() < deadline) {
			this.attempts.incrementAndGet();
			try (Socket socket = new Socket()) {
				socket.connect(new InetSocketAddress(Http.HOST, this.port), CONNECT_TIMEOUT_MILLIS);
				this.connected.incrementAndGet();
			}
			catch (ConnectException ex) {
				failure("REFUSED", ex);
			}
			catch (SocketTimeoutException ex) {
				failure("TIMEOUT", ex);
			}
			catch (IOException ex) {
				failure("ERROR", ex);
			}
			next += INTERVAL.toNanos();
			long wait = next - System.nanoTime();
			if (wait > 0) {
				// the probe's own cadence, not a wait for a state
				try {
					TimeUnit.NANOSECONDS.sleep(wait);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					return;
				}
			}
			else {
				next = System.nanoTime();
			}
		}
	}

	private void failure(String kind, IOException ex) {
		String failure = kind + " at +" + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - this.startNanos) + " ms: "
				+ ex;
		this.failures.add(failure);
		System.out.println("[port-probe] " + failure);
	}

	/** Return how many connections were attempted. */
	long attempts() {
		return this.attempts.get();
	}

	/** Return how many attempts connected. */
	long connected() {
		return this.connected.get();
	}

	/** Return every attempt that did not connect. */
	List<String> failures() {
		synchronized (this.failures) {
			return List.copyOf(this.failures);
		}
	}

	/** Return how long the probe ran. */
	Duration elapsed() {
		return Duration.ofNanos(System.nanoTime() - this.startNanos);
	}

	@Override
	public void close() {
		this.running.set(false);
		try {
			this.thread.join(CONNECT_TIMEOUT_MILLIS * 2L);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	@Override
	public String toString() {
		return "PortProbe[attempts=" + attempts() + ", connected=" + connected() + ", failures=" + failures() + "]";
	}

}
