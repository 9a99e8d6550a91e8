package io.zerodowntime;

import java.nio.file.Path;
import java.util.Map;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Warns, once, in generation 1, when it runs under a systemd unit that cannot follow an
 * upgrade: systemd started it ({@code INVOCATION_ID} is set) but gave it no notification
 * socket ({@code NOTIFY_SOCKET}), so the unit is {@code Type=simple} or
 * {@code Type=exec}, and no PID file is written, so systemd cannot learn the new main pid
 * either. Such a unit takes the exit of the generation that handed over for the end of
 * the service: it stops the new generation with it, or restarts the service
 * ({@code Restart=}), which is downtime.
 */
final class ServiceUnitCheck {

	static final String INVOCATION_ID = "INVOCATION_ID";

	private static final Log logger = LogFactory.getLog(ServiceUnitCheck.class);

	private final Map<String, String> environment;

	private final Path pidFile;

	private final Generation generation;

	ServiceUnitCheck(Map<String, String> environment, Path pidFile, Generation generation) {
		this.environment = environment;
		this.pidFile = pidFile;
		this.generation = generation;
	}

	/** Log the warning, if there is one. */
	void warnIfUnfit() {
		String problem = problem();
		if (problem != null) {
			logger.warn(problem);
		}
	}

	/**
	 * Return the warning, or {@code null} when this generation's unit can follow upgrades
	 * (or this is not generation 1, or not a systemd service).
	 */
	String problem() {
		if (this.generation.hasParent() || isBlank(this.environment.get(INVOCATION_ID))
				|| !isBlank(this.environment.get(SdNotify.NOTIFY_SOCKET)) || this.pidFile != null) {
			return null;
		}
		return "This application runs as a systemd service (INVOCATION_ID is set) with neither NOTIFY_SOCKET "
				+ "nor zerodowntime.pid-file, so its unit is Type=simple or Type=exec and systemd cannot follow "
				+ "an upgrade: when generation " + this.generation.number() + " (pid " + this.generation.pid()
				+ ") hands over and exits, systemd takes it for the end of the service and stops the new "
				+ "generation with it, or restarts the service if Restart= is set (downtime). Fix the unit: "
				+ "Type=notify (the starter sends READY=1 and MAINPID= itself), or keep Type=exec and add "
				+ "PIDFile=/run/<app>/<app>.pid, RuntimeDirectory=<app> and "
				+ "--zerodowntime.pid-file=/run/<app>/<app>.pid.";
	}

	private static boolean isBlank(String value) {
		return value == null || value.isBlank();
	}

}
