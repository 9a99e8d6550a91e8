package io.zerodowntime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * The new generation's handle on the one that started it, over the handshake socket:
 * reports ready or failed, and learns when the old generation has exited (end of stream),
 * after which this generation may itself be upgraded, and may start a JMX agent deferred
 * until then ({@link DeferredManagementAgent}). Once ready, it gives the old generation a
 * deadline to exit, and kills it after that ({@link PredecessorDeadline}).
 */
final class ParentLink {

	private static final Log logger = LogFactory.getLog(ParentLink.class);

	private final Fds fds;

	private final Processes processes;

	private final int fd;

	private final long parentPid;

	private volatile boolean parentExited;

	private volatile boolean reported;

	private final String parentIdentity;

	private final Object exit = new Object();

	private volatile PredecessorDeadline deadline;

	/**
	 * Start watching the previous generation.
	 * @param os the operating system
	 * @param fd this end of the handshake socket, checked to be connected to
	 * {@code parentPid}
	 * @param parentPid the previous generation's pid
	 */
	ParentLink(Os os, int fd, long parentPid) {
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

	private void watchParent() {
		byte[] buffer = new byte[64];
		try {
			while (this.fds.read(this.fd, buffer, 0, buffer.length) > 0) {
				logger.warn("Ignoring unexpected data from the previous generation (pid " + this.parentPid + ")");
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
		DeferredManagementAgent.startIfDeferred("This generation (pid " + ProcessHandle.current().pid() + ")",
				this.parentPid);
	}

	/**
	 * Give the previous generation, told to hand over just now, a deadline to exit, and
	 * kill it by pid if it is still there after that.
	 * @param allowance its drain timeout plus exit grace
	 */
	void expectExitWithin(Duration allowance) {
		PredecessorDeadline created = new PredecessorDeadline(this.parentPid, this.parentIdentity, Instant.now(),
				allowance);
		this.deadline = created;
		Thread enforcer = new Thread(() -> enforce(created), "zerodowntime-predecessor-deadline");
		enforcer.setDaemon(true);
		enforcer.setContextClassLoader(ParentLink.class.getClassLoader());
		enforcer.start();
	}

	/**
	 * Return the deadline the previous generation has to exit by, or {@code null}.
	 * @return the deadline
	 */
	PredecessorDeadline deadline() {
		return this.deadline;
	}

	private void enforce(PredecessorDeadline deadline) {
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
			synchronized (this.exit) {
				Instant now;
				while (!this.parentExited && (now = Instant.now()).isBefore(deadline.deadline())) {
					// rounded up: waking up a fraction of a millisecond early would find
					// it not due
					this.exit.wait(Duration.between(now, deadline.deadline()).toMillis() + 1);
				}
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

	private synchronized void report(String line) {
		if (this.reported) {
			return;
		}
		this.reported = true;
		try {
			this.fds.writeFully(this.fd, (line + "\n").getBytes(StandardCharsets.UTF_8));
		}
		catch (IOException ex) {
			logger.warn("Unable to tell the previous generation (pid " + this.parentPid + ") '" + line + "': "
					+ ex.getMessage());
		}
	}

}
