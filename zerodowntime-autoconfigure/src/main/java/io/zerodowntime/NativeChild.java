package io.zerodowntime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * The old generation's handle on a new one, over the handshake socket: the new generation
 * writes {@code PID <pid>}, then {@code READY} or {@code FAILED <reason>} (before which
 * {@code NOT_READY <reason>} says why it is not ready yet); after {@code READY},
 * {@code NOT_READY} and {@code REQUESTS} lines go to the {@link Child.Watch watch}; end
 * of stream means it exited. This side writes {@code PROBATION}, {@code CONFIRMED} and
 * {@code ROLLBACK} lines (see {@link Handshake}). The new generation is not our child
 * (double fork), so this, not {@code waitpid}, is how its death is learned. It is
 * signalled only while its pid still names the process that reported it (same start
 * time), never a later one that reuses it.
 */
final class NativeChild implements Child {

	private static final Log logger = LogFactory.getLog(NativeChild.class);

	private final Fds fds;

	private final Processes processes;

	private final int fd;

	private final Object lock = new Object();

	private final Object writing = new Object();

	private Long pid;

	private String identity;

	private boolean ready;

	private boolean closed;

	private String failure;

	private boolean exited;

	/**
	 * Before ready: its last word on why it is not ready yet. After: its first readiness
	 * lost.
	 */
	private String notReady;

	private long answered = -1;

	private long serverErrors;

	private Child.Watch watch;

	/**
	 * Start reading the handshake.
	 * @param os the operating system
	 * @param fd this end of the handshake socket
	 */
	NativeChild(Os os, int fd) {
		this.fds = os.fds();
		this.processes = os.processes();
		this.fd = fd;
		Thread reader = new Thread(this::read, "zerodowntime-child-handshake");
		reader.setDaemon(true);
		// not the web application's class loader: Tomcat warns about threads it cannot
		// stop
		reader.setContextClassLoader(NativeChild.class.getClassLoader());
		reader.start();
	}

	private void read() {
		StringBuilder line = new StringBuilder();
		byte[] buffer = new byte[512];
		try {
			while (true) {
				int count = this.fds.read(this.fd, buffer, 0, buffer.length);
				if (count == 0) {
					break;
				}
				for (int i = 0; i < count; i++) {
					if (buffer[i] == '\n') {
						handle(line.toString());
						line.setLength(0);
					}
					else if (line.length() < 4096) {
						line.append((char) (buffer[i] & 0xff));
					}
				}
			}
		}
		catch (IOException ex) {
			logger.debug("Handshake with the new generation ended: " + ex.getMessage());
		}
		synchronized (this.lock) {
			if (!this.ready && this.failure == null) {
				this.failure = "the new generation" + ((this.pid != null) ? " (pid " + this.pid + ")" : "")
						+ " exited before it was ready; see its log above for why";
			}
			this.exited = true;
			if (this.watch != null) {
				this.watch.exited();
			}
			this.lock.notifyAll();
		}
	}

	private void handle(String line) {
		synchronized (this.lock) {
			if (line.startsWith(Handshake.PID + " ")) {
				try {
					long reported = Long.parseLong(line.substring(Handshake.PID.length() + 1).trim());
					// read while it surely runs: it has just written
					this.identity = (reported > 0) ? this.processes.identity(reported) : null;
					this.pid = reported;
				}
				catch (NumberFormatException ex) {
					this.failure = "the new generation sent a malformed pid: " + line;
				}
			}
			else if (line.equals(Handshake.READY)) {
				this.ready = true;
				this.notReady = null;
			}
			else if (line.equals(Handshake.NOT_READY) || line.startsWith(Handshake.NOT_READY + " ")) {
				String reason = line.substring(Handshake.NOT_READY.length()).trim();
				reason = reason.isEmpty() ? "no reason given" : reason;
				if (!this.ready) {
					this.notReady = reason;
				}
				else if (this.notReady == null) {
					this.notReady = reason;
					if (this.watch != null) {
						this.watch.notReady(reason);
					}
				}
			}
			else if (line.startsWith(Handshake.REQUESTS + " ")) {
				requests(line);
			}
			else if (line.startsWith(Handshake.FAILED)) {
				this.failure = "the new generation" + ((this.pid != null) ? " (pid " + this.pid + ")" : "")
						+ " failed to start: " + line.substring(Handshake.FAILED.length()).trim();
			}
			else {
				logger.warn("Ignoring an unexpected handshake line from the new generation: " + line);
			}
			this.lock.notifyAll();
		}
	}

	/**
	 * {@code REQUESTS <answered> <5xx>}, cumulative; a malformed or decreasing one is
	 * ignored.
	 */
	private void requests(String line) {
		String[] words = line.split(" ");
		try {
			if (words.length != 3) {
				throw new NumberFormatException();
			}
			long count = Long.parseLong(words[1]);
			long errors = Long.parseLong(words[2]);
			if (count < 0 || errors < 0 || errors > count || count < this.answered) {
				throw new NumberFormatException();
			}
			this.answered = count;
			this.serverErrors = errors;
			if (this.ready && this.watch != null) {
				this.watch.requests(count, errors);
			}
		}
		catch (RuntimeException ex) {
			logger.warn("Ignoring a malformed request count from the new generation: " + line);
		}
	}

	@Override
	public Long pid() {
		synchronized (this.lock) {
			return this.pid;
		}
	}

	@Override
	public String awaitReady(Duration timeout) throws InterruptedException {
		long deadline = System.nanoTime() + timeout.toNanos();
		synchronized (this.lock) {
			while (!this.ready && this.failure == null) {
				long left = deadline - System.nanoTime();
				if (left <= 0) {
					return "the new generation" + ((this.pid != null) ? " (pid " + this.pid + ")" : "")
							+ " was not ready within the upgrade timeout of " + timeout.toMillis() + " ms"
							+ ((this.notReady != null) ? ": " + this.notReady : "");
				}
				TimeUnit.NANOSECONDS.timedWait(this.lock, left);
			}
			return this.ready ? null : this.failure;
		}
	}

	@Override
	public void stop(Duration grace) {
		Long target;
		String expected;
		synchronized (this.lock) {
			target = this.pid;
			expected = this.identity;
		}
		if (target != null && expected != null && alive(target, expected)) {
			signal(target, Processes.SIGTERM);
			long deadline = System.nanoTime() + grace.toNanos();
			while (alive(target, expected) && System.nanoTime() < deadline) {
				sleep(20);
			}
			if (alive(target, expected)) {
				logger.warn("New generation (pid " + target + ") did not stop within " + grace.toMillis()
						+ " ms of SIGTERM; sending SIGKILL");
				signal(target, Processes.SIGKILL);
				long killDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
				while (alive(target, expected) && System.nanoTime() < killDeadline) {
					sleep(20);
				}
			}
		}
		close();
	}

	/**
	 * Whether the new generation still runs: its pid names the process that reported it;
	 * a zombie the service manager has not reaped yet does not run.
	 */
	private boolean alive(long target, String expected) {
		return this.processes.isAlive((int) target) && expected.equals(this.processes.identity(target));
	}

	private void signal(long target, int signal) {
		try {
			this.processes.kill((int) target, signal);
		}
		catch (IOException ex) {
			logger.debug("Unable to signal pid " + target + ": " + ex.getMessage());
		}
	}

	private static void sleep(long millis) {
		try {
			Thread.sleep(millis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private void close() {
		synchronized (this.lock) {
			if (this.closed) {
				return;
			}
			this.closed = true;
		}
		try {
			this.fds.close(this.fd);
		}
		catch (IOException ex) {
			// already closed
		}
	}

	@Override
	public void keepUntilExit() {
		// the descriptor is simply never closed: the kernel closes it when this process
		// exits
	}

	@Override
	public void watch(Child.Watch watch) {
		synchronized (this.lock) {
			this.watch = watch;
			if (this.ready && this.notReady != null) {
				watch.notReady(this.notReady);
			}
			if (this.answered >= 0) {
				watch.requests(this.answered, this.serverErrors);
			}
			if (this.exited) {
				watch.exited();
			}
		}
	}

	@Override
	public void startProbation(Instant until, long upgradeMillis) {
		send(Handshake.PROBATION + " " + ((until != null) ? until.toEpochMilli() : 0) + " " + upgradeMillis);
	}

	@Override
	public void confirm() {
		send(Handshake.CONFIRMED);
	}

	@Override
	public void rollBack(String reason) {
		send(Handshake.ROLLBACK + " " + ((reason != null) ? reason.replaceAll("[\\r\\n]+", " ") : "unknown"));
	}

	@Override
	public boolean awaitExit(Duration timeout) throws InterruptedException {
		long deadline = System.nanoTime() + timeout.toNanos();
		synchronized (this.lock) {
			while (!this.exited) {
				long left = deadline - System.nanoTime();
				if (left <= 0) {
					return false;
				}
				TimeUnit.NANOSECONDS.timedWait(this.lock, left);
			}
		}
		// the handshake has ended: nothing is read or sent on it any more (a rolled-back
		// generation's socket would otherwise stay open in this one for good)
		close();
		return true;
	}

	/**
	 * Best effort: a new generation that has exited reads nothing, and its exit is seen
	 * anyway.
	 */
	private void send(String line) {
		synchronized (this.lock) {
			if (this.closed || this.exited) {
				return;
			}
		}
		try {
			synchronized (this.writing) {
				this.fds.writeFully(this.fd, (line + "\n").getBytes(StandardCharsets.UTF_8));
			}
		}
		catch (IOException ex) {
			logger.debug("Unable to tell the new generation '" + line + "': " + ex.getMessage());
		}
	}

}
