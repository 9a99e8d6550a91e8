package io.zerodowntime;

/**
 * The operating system as the core sees it, one interface per role. {@link #posix()} is
 * the real one; tests build one of fakes.
 *
 * @param fds the file descriptors of this process
 * @param sockets socket inspection and the Unix-domain sockets the core opens
 * @param processes spawning, waiting for and signalling processes
 * @param environment this process's environment
 */
record Os(Fds fds, Sockets sockets, Processes processes, ProcessEnvironment environment) {

	/**
	 * Return the real operating system; loads libc on first use.
	 * @return the process-wide instance
	 * @throws UnsupportedOperationException if {@link Platform} says this platform is not
	 * supported
	 */
	static Os posix() {
		String problem = Platform.current().unsupportedReason();
		if (problem != null) {
			throw new UnsupportedOperationException("Native process support is not available: " + problem);
		}
		return Holder.INSTANCE;
	}

	private static final class Holder {

		static final Os INSTANCE = create(PosixBinding.load());

		private static Os create(PosixBinding binding) {
			PosixFds fds = new PosixFds(binding);
			return new Os(fds, new PosixSockets(binding, fds), new PosixProcesses(binding, fds),
					new PosixEnvironment(binding));
		}

	}

}
