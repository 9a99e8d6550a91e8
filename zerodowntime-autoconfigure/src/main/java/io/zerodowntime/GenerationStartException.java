package io.zerodowntime;

/**
 * Thrown when this generation cannot start as it is configured or deployed, saying what
 * is wrong and what the operator should do about it. The generation does not start rather
 * than serve on a wrong socket, bind elsewhere, or leave a PID file or control socket
 * that points at nothing: generation 1 stops, a later one fails its upgrade (the
 * generation serving keeps serving and learns the reason).
 * {@link ListenerHandoverException} is the one users may want to catch by name; the
 * others (the PID file, the control socket) are reported through this type.
 *
 * @since 0.1.0
 */
public abstract class GenerationStartException extends RuntimeException {

	private final String description;

	private final String action;

	/**
	 * Create a new exception.
	 * @param message the message
	 * @param description what is wrong, naming the files, descriptors or paths involved
	 * @param action what the operator should do about it
	 * @param cause the underlying error, or {@code null}
	 */
	protected GenerationStartException(String message, String description, String action, Throwable cause) {
		super(message, cause);
		this.description = description;
		this.action = action;
	}

	/**
	 * Return what is wrong.
	 * @return the description
	 */
	public String getDescription() {
		return this.description;
	}

	/**
	 * Return what the operator should do about it.
	 * @return the action
	 */
	public String getAction() {
		return this.action;
	}

}
