package io.zerodowntime;

/**
 * How a reaped child process ended: exactly one of {@code exitCode} (normal exit) and
 * {@code signal} (killed by a signal) is non-null.
 */
record ExitStatus(int pid, Integer exitCode, Integer signal) {

	private static final String[] SIGNAL_NAMES = { null, "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT",
			"SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM",
			"SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU",
			"SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS" };

	/** Whether the process exited normally with code 0. */
	boolean success() {
		return this.exitCode != null && this.exitCode == 0;
	}

	/** "exit code 3" or "killed by signal 9 (SIGKILL)". */
	String describe() {
		if (this.exitCode != null) {
			return "exit code " + this.exitCode;
		}
		return "killed by signal " + this.signal + " (" + signalName(this.signal) + ")";
	}

	/**
	 * The Linux name of a signal number, for example "SIGTERM" for 15, or
	 * "SIGRTMIN+2"/"signal 77".
	 */
	static String signalName(int signal) {
		if (signal > 0 && signal < SIGNAL_NAMES.length) {
			return SIGNAL_NAMES[signal];
		}
		if (signal >= 34 && signal <= 64) {
			return "SIGRTMIN+" + (signal - 34);
		}
		return "signal " + signal;
	}

}
