package io.zerodowntime;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Gives a starting generation the CPU: while it starts, this generation's threads run at
 * a higher nice value, and are put back when the upgrade fails. Both generations share
 * one session, hence one scheduler autogroup, where nice decides the CPU share; a new JVM
 * next to a saturated old one otherwise gets a per-thread share against every busy
 * request thread of the old one.
 *
 * <p>
 * Raising a nice value needs no privilege; lowering it again needs {@code CAP_SYS_NICE}
 * or an {@code RLIMIT_NICE} that allows it ({@code LimitNICE=} in a systemd unit).
 * Without either, a generation whose upgrade failed serves on with its threads at the
 * higher nice value, with one warning saying so, until it is upgraded or restarted. The
 * thread that starts the new generation keeps its nice value, so the new generation
 * (which inherits it) starts at this generation's original priority. After a successful
 * upgrade the threads stay where they are: the generation drains and exits.
 *
 * <p>
 * The JVM's stop-the-world threads keep their priority: the VM thread, which runs every
 * safepoint operation, and the parallel GC workers. Every request thread waits for them
 * during a pause, so a pause they spend starved of CPU is a stall of the whole
 * generation, where a starved request thread delays only its own request.
 */
final class HandoverPriority implements UpgradeListener {

	/** The nice value of this generation's threads while a new one starts. */
	public static final int DEFAULT_NICE = 19;

	private static final Log logger = LogFactory.getLog(HandoverPriority.class);

	private final ThreadNice threads;

	private final int nice;

	/** Every thread seen when the priority was lowered, with its nice value then. */
	private final Map<Integer, Integer> before = new HashMap<>();

	/** The threads whose nice value was raised. */
	private final Map<Integer, Integer> raised = new HashMap<>();

	private int baseline;

	HandoverPriority(ThreadNice threads, int nice) {
		checkNice(nice);
		this.threads = threads;
		this.nice = nice;
	}

	/**
	 * Lower this process's threads to a nice value while a new generation starts.
	 * @param nice the nice value, from 1 to 19
	 * @return the listener to add to the {@link Upgrader}
	 */
	static HandoverPriority forThisProcess(int nice) {
		return new HandoverPriority(ThreadNice.ofThisProcess(), nice);
	}

	int nice() {
		return this.nice;
	}

	static void checkNice(int nice) {
		if (nice < 1 || nice > 19) {
			throw new IllegalArgumentException("zerodowntime.handover-nice must be from 1 to 19 (a higher value "
					+ "gives a starting generation more of the CPU), got " + nice
					+ "; to keep this generation's priority, set zerodowntime.handover-priority=false");
		}
	}

	@Override
	public synchronized void upgradeStarted(int generation) {
		this.before.clear();
		this.raised.clear();
		int failed = 0;
		String reason = null;
		try {
			int self = this.threads.current();
			this.baseline = this.threads.nice(self);
			for (int tid : this.threads.threads()) {
				Integer current = niceOrNull(tid);
				if (current == null) {
					continue;
				}
				this.before.put(tid, current);
				if (tid == self || current >= this.nice || stopsTheWorld(tid)) {
					continue;
				}
				try {
					this.threads.setNice(tid, this.nice);
					this.raised.put(tid, current);
				}
				catch (NativeException ex) {
					if (niceOrNull(tid) != null) {
						failed++;
						reason = ex.getMessage();
					}
				}
			}
		}
		catch (IOException | RuntimeException ex) {
			logger.warn("Unable to lower the priority of this generation's threads while generation " + generation
					+ " starts: " + ex.getMessage());
			return;
		}
		logger.info(this.raised.size() + " thread(s) of this generation at nice " + this.nice + " while generation "
				+ generation + " starts" + ((failed > 0) ? " (" + failed + " refused: " + reason + ")" : ""));
	}

	@Override
	public void upgradeFailed(UpgradeOutcome outcome) {
		restore();
	}

	@Override
	public void upgradeRolledBack(UpgradeOutcome outcome) {
		restore();
	}

	@Override
	public synchronized void upgradeSucceeded(UpgradeOutcome outcome) {
		this.before.clear();
		this.raised.clear();
	}

	/**
	 * Put back the nice value of every thread that was raised, and of every thread
	 * created since at the raised value (it inherited it) the value of the thread that
	 * started the upgrade.
	 * @return how many threads could not be put back
	 */
	synchronized int restore() {
		if (this.before.isEmpty()) {
			return 0;
		}
		int restored = 0;
		int refused = 0;
		String reason = null;
		List<Integer> now;
		try {
			now = this.threads.threads();
		}
		catch (IOException ex) {
			now = List.copyOf(this.raised.keySet());
		}
		for (int tid : now) {
			Integer current = niceOrNull(tid);
			if (current == null || current != this.nice) {
				continue;
			}
			Integer target = this.raised.containsKey(tid) ? this.raised.get(tid)
					: this.before.containsKey(tid) ? null : Integer.valueOf(this.baseline);
			if (target == null || target == this.nice) {
				continue;
			}
			try {
				this.threads.setNice(tid, target);
				restored++;
			}
			catch (NativeException ex) {
				if (niceOrNull(tid) != null) {
					refused++;
					reason = ex.getMessage();
				}
			}
		}
		this.before.clear();
		this.raised.clear();
		if (refused > 0) {
			logger.warn("Unable to give " + refused + " thread(s) of this generation their priority back after the "
					+ "failed upgrade (" + reason + "): they serve on at nice " + this.nice + " until this generation "
					+ "is upgraded or restarted. Lowering a nice value needs CAP_SYS_NICE or RLIMIT_NICE (LimitNICE= "
					+ "in a systemd unit), or set zerodowntime.handover-priority=false");
		}
		else if (restored > 0) {
			logger.info(restored + " thread(s) of this generation back at their priority after the failed upgrade");
		}
		return refused;
	}

	/**
	 * Whether a thread is one every other thread waits for during a pause: HotSpot's
	 * {@code VM Thread} and its parallel GC workers ({@code GC Thread#0}, …).
	 */
	private boolean stopsTheWorld(int tid) {
		try {
			String name = this.threads.name(tid);
			return name.equals("VM Thread") || name.startsWith("GC Thread#");
		}
		catch (IOException | RuntimeException ex) {
			return false;
		}
	}

	private Integer niceOrNull(int tid) {
		try {
			return this.threads.nice(tid);
		}
		catch (IOException | RuntimeException ex) {
			return null;
		}
	}

}
