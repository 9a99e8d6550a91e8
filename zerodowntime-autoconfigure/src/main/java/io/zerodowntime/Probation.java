package io.zerodowntime;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The old generation's watch over a new one through its probation, and the verdict: the
 * first sign of trouble (the new generation exited, reported it is not ready, or answered
 * too large a share of its requests with a 5xx) is the reason to roll back; no sign until
 * the end is a success. Fed by the handshake reader ({@link Child.Watch}), awaited by the
 * upgrade thread. Thread-safe.
 */
final class Probation implements Child.Watch {

	/**
	 * What a probation watches for, and how long.
	 *
	 * @param length how long the old generation stays able to resume; zero for no
	 * probation
	 * @param maxErrorRatio the share of 5xx responses above which the new generation is
	 * rolled back, or {@code null} not to judge it
	 * @param minRequests how many requests the new generation must have answered before
	 * its error ratio is judged
	 */
	record Rules(Duration length, Double maxErrorRatio, int minRequests) {

		/**
		 * No probation: the old generation drains and exits as soon as the new one is
		 * ready.
		 */
		static final Rules OFF = new Rules(Duration.ZERO, null, 0);

		Rules {
			if (length == null || length.isNegative()) {
				throw new IllegalArgumentException(
						"zerodowntime.probation must be zero (off) or positive, got " + length);
			}
			if (maxErrorRatio != null && (maxErrorRatio.isNaN() || maxErrorRatio < 0 || maxErrorRatio >= 1)) {
				throw new IllegalArgumentException(
						"zerodowntime.rollback.max-error-ratio must be at least 0 and below 1 "
								+ "(e.g. 0.05 for 5%), or unset to judge no error ratio; got " + maxErrorRatio);
			}
			if (minRequests < 0) {
				throw new IllegalArgumentException(
						"zerodowntime.rollback.min-requests must be 0 or more, got " + minRequests);
			}
		}

		boolean on() {
			return !this.length.isZero();
		}

	}

	private final Rules rules;

	private final Long pid;

	private final Object lock = new Object();

	private String trouble;

	private boolean endedEarly;

	Probation(Rules rules, Long pid) {
		this.rules = rules;
		this.pid = pid;
	}

	@Override
	public void exited() {
		trouble(newGeneration() + " exited during its probation; see its log for why");
	}

	@Override
	public void notReady(String reason) {
		trouble(newGeneration() + " is not ready: " + reason);
	}

	@Override
	public void requests(long answered, long serverErrors) {
		Double max = this.rules.maxErrorRatio();
		if (max == null || answered <= 0 || answered < this.rules.minRequests()) {
			return;
		}
		double ratio = (double) serverErrors / answered;
		if (ratio > max) {
			trouble(newGeneration() + " answered " + serverErrors + " of " + answered + " requests with a 5xx ("
					+ String.format(Locale.ROOT, "%.1f", ratio * 100)
					+ "%, above zerodowntime.rollback.max-error-ratio=" + max + ")");
		}
	}

	/**
	 * End the probation now, without trouble (this generation was told to stop: nothing
	 * can roll the new one back any more).
	 */
	void endEarly() {
		synchronized (this.lock) {
			this.endedEarly = true;
			this.lock.notifyAll();
		}
	}

	/**
	 * Wait until the first sign of trouble, the probation's end, or an early end.
	 * @param length how long the probation lasts from now
	 * @return why the new generation must be rolled back, or {@code null} if it keeps the
	 * traffic
	 * @throws InterruptedException if interrupted while waiting
	 */
	String await(Duration length) throws InterruptedException {
		long deadline = System.nanoTime() + length.toNanos();
		synchronized (this.lock) {
			while (this.trouble == null && !this.endedEarly) {
				long left = deadline - System.nanoTime();
				if (left <= 0) {
					break;
				}
				TimeUnit.NANOSECONDS.timedWait(this.lock, left);
			}
			return this.trouble;
		}
	}

	/**
	 * Return the first sign of trouble so far, or {@code null}.
	 * @return the reason to roll back
	 */
	String trouble() {
		synchronized (this.lock) {
			return this.trouble;
		}
	}

	private void trouble(String reason) {
		synchronized (this.lock) {
			if (this.trouble == null && !this.endedEarly) {
				this.trouble = reason;
			}
			this.lock.notifyAll();
		}
	}

	private String newGeneration() {
		return "the new generation" + ((this.pid != null) ? " (pid " + this.pid + ")" : "");
	}

}
