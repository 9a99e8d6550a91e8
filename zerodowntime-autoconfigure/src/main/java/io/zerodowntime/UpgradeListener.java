package io.zerodowntime;

/**
 * Told of each step of a generation's life, on the thread that takes the step, in the
 * order the listeners were added.
 *
 * @since 0.1.0
 */
public interface UpgradeListener {

	/**
	 * This generation is fully started and serving (called once).
	 * @param generation this generation
	 */
	default void generationReady(Generation generation) {
	}

	/**
	 * This generation begins its final stop with no successor (SIGTERM).
	 * @param generation this generation
	 */
	default void generationStopping(Generation generation) {
	}

	/**
	 * A new generation is being started.
	 * @param generation its number
	 */
	default void upgradeStarted(int generation) {
	}

	/**
	 * The new generation has taken over: it was ready and kept the traffic through its
	 * probation (at once when probation is off); this one drains and exits.
	 * @param outcome the outcome
	 */
	default void upgradeSucceeded(UpgradeOutcome outcome) {
	}

	/**
	 * An upgrade was refused without starting anything.
	 * @param outcome the outcome, with the reason
	 */
	default void upgradeRefused(UpgradeOutcome outcome) {
	}

	/**
	 * The new generation did not become ready; this one serves on.
	 * @param outcome the outcome
	 */
	default void upgradeFailed(UpgradeOutcome outcome) {
	}

	/**
	 * The new generation lost the traffic during its probation: this one accepts again
	 * and serves on; the new one was told to drain and exit.
	 * @param outcome the outcome, with the reason
	 */
	default void upgradeRolledBack(UpgradeOutcome outcome) {
	}

}
