package io.zerodowntime;

/**
 * A spawn without {@code posix_spawn_file_actions_addclosefrom_np} may have leaked a
 * descriptor: this process's descriptor table grew while the child was forked. The child
 * ({@link #pid()}) was killed and reaped; whatever it started must be stopped too.
 */
class DescriptorTableGrewException extends NativeException {

	private static final long serialVersionUID = 1L;

	private final int pid;

	DescriptorTableGrewException(String message, int pid) {
		super(message, 0, null);
		this.pid = pid;
	}

	/** The child that was killed. */
	int pid() {
		return this.pid;
	}

}
