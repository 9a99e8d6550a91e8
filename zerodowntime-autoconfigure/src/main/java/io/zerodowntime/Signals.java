package io.zerodowntime;

/**
 * The signals a ready generation answers: SIGHUP (upgrade) and SIGTERM (drain and exit
 * 0). The handlers run on the JVM's signal thread, so each only starts a thread.
 */
interface Signals {

	/** Traps nothing: for tests, and for an upgrader nobody signals. */
	Signals NONE = new Signals() {

		@Override
		public void onHangup(Runnable trigger, boolean upgrades) {
		}

		@Override
		public void onTerminate(Runnable handler) {
		}

	};

	/**
	 * From now on, let SIGHUP run a trigger.
	 * @param trigger starts an upgrade (or its refusal) in the background
	 * @param upgrades whether the trigger can upgrade (then a SIGHUP ignored since the
	 * JVM started is warned about)
	 */
	void onHangup(Runnable trigger, boolean upgrades);

	/**
	 * From now on, let SIGTERM run a handler instead of the JVM's shutdown.
	 * @param handler starts the final stop in the background
	 */
	void onTerminate(Runnable handler);

	/**
	 * Return the JVM's signals: SIGHUP through {@link HangupSignal}, which has owned it
	 * since startup, SIGTERM trapped now.
	 * @return the signals
	 */
	static Signals jvm() {
		return new Signals() {

			@Override
			public void onHangup(Runnable trigger, boolean upgrades) {
				if (upgrades) {
					HangupSignal.upgradeOnHangup(trigger);
				}
				else {
					HangupSignal.refuseOnHangup(trigger);
				}
			}

			@Override
			public void onTerminate(Runnable handler) {
				SignalTrap.install("TERM", handler);
			}

		};
	}

}
