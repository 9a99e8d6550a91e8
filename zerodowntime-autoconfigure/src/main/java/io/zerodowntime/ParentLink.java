package io.zerodowntime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * The new generation's handle on the one that started it, over the handshake socket:
 * reports ready or failed (and, before that and during its probation, a readiness lost,
 * and its request counts), hears of its probation ({@code PROBATION}, {@code CONFIRMED},
 * {@code ROLLBACK}, passed to the {@link Listener}), and learns when the old generation
 * has exited (end of stream), after which this generation may itself be upgraded, and may
 * start a JMX agent deferred until then ({@link DeferredManagementAgent}). Once ready, it
 * gives the old generation a deadline to exit, and kills it after that
 * ({@link PredecessorDeadline}).
 */
final class ParentLink {

	private static final Log logger = LogFactory.getLog(ParentLink.class);

	private final Fds fds;

	private final Processes processes;

	private final int fd;

	private final long parentPid;

	private volatile boolean parentExited;

	private volatile boolean reported;

	private volatile boolean failedReported;

	private final String parentIdentity;

	private final Object exit = new Object();

	private final Duration margin;

	private volatile PredecessorDeadline deadline;

	/**
	 * Set when this generation was rolled back: the previous one serves again and is
	 * never killed.
	 */
	private volatile boolean deadlineCancelled;

	/**
	 * When the previous generation hands over for good: the end of this one's probation.
	 */
	private volatile Instant handoverAt;

	private volatile Listener listener = new Listener() {
	};

	/** What the previous generation says after this one is ready. */
	interface Listener {

		/**
		 * This generation is on probation until then, or not at all.
		 * @param until the end of the probation, or {@code null} for none
		 * @param upgradeMillis how long the upgrade took until this generation was ready
		 */
		default void probation(Instant until, long upgradeMillis) {
		}

		/** The probation is over: this generation serves for good. */
		default void confirmed() {
		}

		/**
		 * This generation was rolled back: the previous one accepts again; this one must
		 * stop accepting, drain and exit.
		 * @param reason why
		 */
		default void rolledBack(String reason) {
		}

		/** The previous generation has exited (end of the handshake). */
		default void parentExited() {
		}

	}

	/**
	 * Start watching the previous generation.
	 * @param os the operating system
	 * @param fd this end of the handshake socket, checked to be connected to
	 * {@code parentPid}
	 * @param parentPid the previous generation's pid
	 */
	ParentLink(Os os, int fd, long parentPid) {
		this(os, fd, parentPid, PredecessorDeadline.MARGIN);
	}

	/**
	 * Start watching the previous generation, which is killed {@code margin} after its
	 * own deadline.
	 * @param os the operating system
	 * @param fd this end of the handshake socket
	 * @param parentPid the previous generation's pid
	 * @param margin the margin after its deadline
	 */
	ParentLink(Os os, int fd, long parentPid, Duration margin) {
		this.margin = margin;
		this.fds = os.fds();
		this.processes = os.processes();
		this.fd = fd;
		this.parentPid = parentPid;
		// read while the parent surely runs: it holds the other end of the handshake
		// socket
		this.parentIdentity = this.processes.identity(parentPid);
		Thread watcher = new Thread(this::watchParent, "zerodowntime-parent-watch");
		watcher.setDaemon(true);
		// not the web application's class loader: Tomcat warns about threads it cannot
		// stop
		watcher.setContextClassLoader(ParentLink.class.getClassLoader());
		watcher.start();
	}

	/**
	 * Set who hears what the previous generation says; set before this generation reports
	 * ready, so nothing is missed.
	 * @param listener the listener
	 */
	void listen(Listener listener) {
		this.listener = listener;
	}

	private void watchParent() {
		byte[] buffer = new byte[512];
		StringBuilder line = new StringBuilder();
		try {
			int count;
			while ((count = this.fds.read(this.fd, buffer, 0, buffer.length)) > 0) {
				for (int i = 0; i < count; i++) {
					if (buffer[i] == '\n') {
						heard(line.toString());
						line.setLength(0);
					}
					else if (line.length() < 4096) {
						line.append((char) (buffer[i] & 0xff));
					}
				}
			}
		}
		catch (IOException ex) {
			logger.debug("Handshake with the previous generation ended: " + ex.getMessage());
		}
		synchronized (this.exit) {
			this.parentExited = true;
			this.exit.notifyAll();
		}
		logger.info("Previous generation (pid " + this.parentPid + ") has exited");
		try {
			this.listener.parentExited();
		}
		catch (RuntimeException ex) {
			logger.warn("Unable to handle the exit of the previous generation: " + ex);
		}
		DeferredManagementAgent.startIfDeferred("This generation (pid " + ProcessHandle.current().pid() + ")",
				this.parentPid);
	}

	private void heard(String line) {
		try {
			if (line.startsWith(Handshake.PROBATION + " ")) {
				String[] words = line.split(" ");
				long until = Long.parseLong(words[1]);
				long upgradeMillis = Long.parseLong(words[2]);
				Instant end = (until > 0) ? Instant.ofEpochMilli(until) : null;
				if (end != null) {
					handOverAt(end);
				}
				this.listener.probation(end, upgradeMillis);
			}
			else if (line.equals(Handshake.CONFIRMED)) {
				this.listener.confirmed();
			}
			else if (line.startsWith(Handshake.ROLLBACK)) {
				String reason = line.substring(Handshake.ROLLBACK.length()).trim();
				this.listener.rolledBack(reason.isEmpty() ? "no reason given" : reason);
			}
			else {
				logger.warn("Ignoring unexpected data from the previous generation (pid " + this.parentPid + "): "
						+ line.replaceAll("\\p{Cntrl}", "?"));
			}
		}
		catch (RuntimeException ex) {
			logger.warn("Ignoring unexpected data from the previous generation (pid " + this.parentPid + "): "
					+ line.replaceAll("\\p{Cntrl}", "?") + " (" + ex + ")");
		}
	}

	/**
	 * The previous generation hands over for good at the end of this one's probation: its
	 * deadline runs from then.
	 */
	private void handOverAt(Instant end) {
		this.handoverAt = end;
		PredecessorDeadline current = this.deadline;
		if (current != null) {
			this.deadline = new PredecessorDeadline(this.parentPid, this.parentIdentity, end, current.allowance(),
					this.margin);
			synchronized (this.exit) {
				this.exit.notifyAll();
			}
		}
	}

	/**
	 * Give the previous generation, told to hand over just now, a deadline to exit, and
	 * kill it by pid if it is still there after that.
	 * @param allowance its drain timeout plus exit grace
	 */
	void expectExitWithin(Duration allowance) {
		Instant now = Instant.now();
		Instant handover = this.handoverAt;
		PredecessorDeadline created = new PredecessorDeadline(this.parentPid, this.parentIdentity,
				(handover != null && handover.isAfter(now)) ? handover : now, allowance, this.margin);
		this.deadline = created;
		Thread enforcer = new Thread(() -> enforce(created), "zerodowntime-predecessor-deadline");
		enforcer.setDaemon(true);
		enforcer.setContextClassLoader(ParentLink.class.getClassLoader());
		enforcer.start();
	}

	/**
	 * Never kill the previous generation: it took the traffic back (this one was rolled
	 * back) and serves on.
	 */
	void cancelDeadline() {
		this.deadlineCancelled = true;
		synchronized (this.exit) {
			this.exit.notifyAll();
		}
	}

	/**
	 * Return the deadline the previous generation has to exit by, or {@code null}.
	 * @return the deadline
	 */
	PredecessorDeadline deadline() {
		return this.deadline;
	}

	private void enforce(PredecessorDeadline first) {
		PredecessorDeadline.Predecessor predecessor = new PredecessorDeadline.Predecessor() {

			@Override
			public boolean exited() {
				return ParentLink.this.parentExited;
			}

			@Override
			public String identity() {
				return ParentLink.this.processes.identity(ParentLink.this.parentPid);
			}

			@Override
			public void kill() throws IOException {
				ParentLink.this.processes.kill((int) ParentLink.this.parentPid, Processes.SIGKILL);
			}

		};
		try {
			PredecessorDeadline deadline = first;
			synchronized (this.exit) {
				Instant now;
				// re-read: a probation moves the deadline later
				while (!this.parentExited && !this.deadlineCancelled
						&& (now = Instant.now()).isBefore((deadline = this.deadline).deadline())) {
					// rounded up: waking up a fraction of a millisecond early would find
					// it not due
					this.exit.wait(Duration.between(now, deadline.deadline()).toMillis() + 1);
				}
			}
			if (this.deadlineCancelled) {
				return;
			}
			PredecessorDeadline.Result result = deadline.enforce(Instant.now(), predecessor);
			if (result == PredecessorDeadline.Result.KILLED) {
				logger.warn("Previous generation (pid " + this.parentPid + ") had not exited by its deadline "
						+ deadline.deadline() + " (drain timeout plus exit grace); killed it with SIGKILL");
			}
			else if (result == PredecessorDeadline.Result.GONE) {
				logger.info("Previous generation (pid " + this.parentPid + ") is gone (its pid names no process "
						+ "or another one); nothing to kill");
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		catch (IOException | RuntimeException ex) {
			logger.warn("Unable to kill the previous generation (pid " + this.parentPid + ") after its deadline: "
					+ ex.getMessage());
		}
	}

	long parentPid() {
		return this.parentPid;
	}

	boolean parentExited() {
		return this.parentExited;
	}

	void reportReady() {
		report(Handshake.READY);
	}

	void reportFailed(String reason) {
		String oneLine = (reason != null) ? reason.replaceAll("[\\r\\n]+", " ") : "unknown";
		report(Handshake.FAILED + " " + oneLine);
	}

	/**
	 * Tell the previous generation this one is not ready: before ready, why not yet (it
	 * ends up in the timeout's reason); during the probation, it rolls back.
	 * @param reason what is not ready
	 */
	void reportNotReady(String reason) {
		tell(Handshake.NOT_READY + " " + ((reason != null) ? reason.replaceAll("[\\r\\n]+", " ") : "unknown"));
	}

	/**
	 * Tell the previous generation how many requests this one answered since it was
	 * ready.
	 * @param answered how many
	 * @param serverErrors how many of them with a 5xx
	 */
	void reportRequests(long answered, long serverErrors) {
		tell(Handshake.REQUESTS + " " + answered + " " + serverErrors);
	}

	/**
	 * A line that may be sent many times, but nothing after a failure or once the parent
	 * is gone.
	 */
	private synchronized void tell(String line) {
		if (this.failedReported || this.parentExited) {
			return;
		}
		try {
			this.fds.writeFully(this.fd, (line + "\n").getBytes(StandardCharsets.UTF_8));
		}
		catch (IOException ex) {
			logger.debug("Unable to tell the previous generation (pid " + this.parentPid + ") '" + line + "': "
					+ ex.getMessage());
		}
	}

	private synchronized void report(String line) {
		if (this.reported) {
			return;
		}
		this.reported = true;
		this.failedReported = line.startsWith(Handshake.FAILED);
		try {
			this.fds.writeFully(this.fd, (line + "\n").getBytes(StandardCharsets.UTF_8));
		}
		catch (IOException ex) {
			logger.warn("Unable to tell the previous generation (pid " + this.parentPid + ") '" + line + "': "
					+ ex.getMessage());
		}
	}

}
