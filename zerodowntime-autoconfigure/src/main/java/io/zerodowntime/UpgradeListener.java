package io.zerodowntime;

/**
 * Told of each upgrade step, on the thread that runs the upgrade.
 *
 * @since 0.1.0
 */
public interface UpgradeListener {

	/**
	 * A new generation is being started.
	 * @param generation its number
	 */
	default void upgradeStarted(int generation) {
	}

	/**
	 * The new generation is ready; this one must stop accepting, drain and exit.
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

}
