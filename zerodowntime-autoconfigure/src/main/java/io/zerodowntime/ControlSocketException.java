package io.zerodowntime;

/**
 * Thrown when the control socket ({@code zerodowntime.control-socket}) cannot be set up:
 * its path is taken by something that is not this application's socket, belongs to
 * another user, is answered by another running process, or its directory or group is
 * missing. The application does not start rather than run without the control channel its
 * operator configured.
 */
class ControlSocketException extends GenerationStartException {

	/**
	 * Create a new exception.
	 * @param description what is wrong, naming the path
	 * @param action what the operator should do about it
	 * @param cause the underlying error, or {@code null}
	 */
	ControlSocketException(String description, String action, Throwable cause) {
		super(description, description, action, cause);
	}

}
