package io.zerodowntime;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * The backstop against a predecessor that never finishes exiting (a shutdown hook that
 * hangs, a process stopped with SIGSTOP): once a generation is ready, its predecessor
 * gets its drain timeout plus the exit grace (it halts itself at that point) and a
 * margin; a predecessor still there after that is killed by pid, after checking that the
 * pid still names the same process (its start time), so a recycled pid is never killed.
 */
final class PredecessorDeadline {

	/** Lets the predecessor's own deadline act first. */
	static final Duration MARGIN = Duration.ofSeconds(5);

	/** The seam to the predecessor process. */
	interface Predecessor {

		/**
		 * Whether the predecessor has exited (end of the handshake stream).
		 * @return whether it has
		 */
		boolean exited();

		/**
		 * What identifies the process that has the predecessor's pid now: its start time,
		 * or {@code null} if no process has that pid.
		 * @return the identity
		 */
		String identity();

		/**
		 * Send SIGKILL to the predecessor's pid.
		 * @throws IOException if the signal cannot be sent
		 */
		void kill() throws IOException;

	}

	/** What {@link #enforce} did. */
	enum Result {

		/** The deadline has not passed. */
		NOT_DUE,

		/** The predecessor exited in time. */
		EXITED,

		/** The pid no longer names the predecessor. */
		GONE,

		/** The predecessor was killed. */
		KILLED

	}

	private final long pid;

	private final String identity;

	private final Instant deadline;

	private final Duration allowance;

	private final Duration margin;

	/**
	 * Create the deadline of a predecessor.
	 * @param pid its pid
	 * @param identity its identity when it was known to be alive
	 * @param readyAt when it hands over for good: when this generation was ready, or the
	 * end of this generation's probation
	 * @param allowance its drain timeout plus exit grace
	 * @param margin how long after that it is killed ({@link #MARGIN} but in tests)
	 */
	PredecessorDeadline(long pid, String identity, Instant readyAt, Duration allowance, Duration margin) {
		this.pid = pid;
		this.identity = identity;
		this.allowance = allowance;
		this.margin = margin;
		this.deadline = readyAt.plus(allowance).plus(margin);
	}

	Instant deadline() {
		return this.deadline;
	}

	/**
	 * Say what a refused upgrade waits for.
	 * @return e.g.
	 * {@code it is killed if it has not exited by 2026-12-03T19:45:12Z (...)}
	 */
	String describe() {
		return "it is killed if it has not exited by " + this.deadline.truncatedTo(ChronoUnit.SECONDS)
				+ " (its drain timeout plus exit grace, " + this.allowance.toSeconds() + " s, and "
				+ this.margin.toSeconds() + " s after it handed over)";
	}

	/**
	 * Kill the predecessor if the deadline has passed and it is still the same process.
	 * @param now the time
	 * @param predecessor the predecessor
	 * @return what was done
	 * @throws IOException if the kill failed
	 */
	Result enforce(Instant now, Predecessor predecessor) throws IOException {
		if (predecessor.exited()) {
			return Result.EXITED;
		}
		if (now.isBefore(this.deadline)) {
			return Result.NOT_DUE;
		}
		String current = predecessor.identity();
		if (current == null || this.identity == null || !current.equals(this.identity)) {
			return Result.GONE;
		}
		predecessor.kill();
		return Result.KILLED;
	}

	Duration allowance() {
		return this.allowance;
	}

	long pid() {
		return this.pid;
	}

}
