package io.zerodowntime;

import java.io.IOException;

/**
 * A system call failed. The message reads "Unable to &lt;action&gt;: &lt;strerror
 * text&gt; (errno N)"; {@link #errno()} carries the error number, or 0 when the failure
 * did not come with one.
 */
class NativeException extends IOException {

	private static final long serialVersionUID = 1L;

	private final int errno;

	NativeException(String action, String errorText, int errno) {
		super("Unable to " + action + ": " + errorText + " (errno " + errno + ")");
		this.errno = errno;
	}

	NativeException(String message, int errno, Throwable cause) {
		super(message, cause);
		this.errno = errno;
	}

	/**
	 * The error number of the failed call, for example 2 for ENOENT; 0 if there was none.
	 */
	int errno() {
		return this.errno;
	}

}
