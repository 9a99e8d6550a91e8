package io.zerodowntime;

import java.time.Instant;

/**
 * Which generation of the application this process is: generation 1 is the process an
 * operator started; every successful upgrade starts the next one.
 *
 * @param number the generation number, 1 for the first process
 * @param pid this process's pid
 * @param parentPid the pid of the generation that started this one, or {@code null} in
 * generation 1
 * @param startedAt when this process started
 * @param originalStartedAt when generation 1 started
 * @since 0.1.0
 */
public record Generation(int number, long pid, Long parentPid, Instant startedAt, Instant originalStartedAt) {

	/**
	 * Return the generation of this process. On a platform the native layer does not
	 * support ({@link Platform}) this is always generation 1, and nothing native is
	 * loaded.
	 * @return this process's generation
	 */
	public static Generation current() {
		return Platform.current().supported() ? Wiring.process().generation() : Unsupported.FIRST;
	}

	/**
	 * Return the names of the environment variables that carry listeners and the handover
	 * between generations; they are removed from the environment once read.
	 * @return the variable names
	 */
	public static java.util.Set<String> handoverVariables() {
		return Handshake.VARIABLES;
	}

	/**
	 * Return whether this process was started by an upgrade.
	 * @return whether there is a previous generation
	 */
	public boolean hasParent() {
		return this.parentPid != null;
	}

	/** Generation 1, as every process is where upgrades are not available. */
	private static final class Unsupported {

		static final Generation FIRST = first();

		private static Generation first() {
			ProcessHandle self = ProcessHandle.current();
			Instant startedAt = self.info().startInstant().orElseGet(Instant::now);
			return new Generation(1, self.pid(), null, startedAt, startedAt);
		}

	}

}
