package io.zerodowntime;

/**
 * Thrown when the control socket ({@code zerodowntime.control-socket}) cannot be set up:
 * its path is taken by something that is not this application's socket, belongs to
 * another user, is answered by another running process, or its directory or group is
 * missing. The application does not start rather than run without the control channel
 * its operator configured.
 *
 * @since 0.1.0
 */
public class ControlSocketException extends RuntimeException {

	private final String action;

	/**
	 * Create a new exception.
	 * @param description what is wrong, naming the path
	 * @param action what the operator should do about it
	 * @param cause the underlying error, or {@code null}
	 */
	public ControlSocketException(String description, String action, Throwable cause) {
		super(description, cause);
		this.action = action;
	}

	/**
	 * Return what is wrong.
	 * @return the description
	 */
	public String getDescription() {
		return getMessage();
	}

	/**
	 * Return what the operator should do about it.
	 * @return the action
	 */
	public String getAction() {
		return this.action;
	}

}
