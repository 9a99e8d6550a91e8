package io.zerodowntime.autoconfigure;

import java.nio.file.Path;

/**
 * Thrown when a generation cannot write its PID file when it is ready: it must not start,
 * because systemd ({@code PIDFile=}) and deploy scripts would follow a pid that is gone
 * or about to be. Generation 1 then refuses to start; a later generation fails its
 * readiness, so the upgrade fails and the generation serving keeps serving.
 */
class PidFileException extends RuntimeException {

	private final String description;

	private final String action;

	PidFileException(Path pidFile, String problem) {
		super(problem + ". Fix: " + action(pidFile));
		this.description = problem;
		this.action = action(pidFile);
	}

	String getDescription() {
		return this.description;
	}

	String getAction() {
		return this.action;
	}

	private static String action(Path pidFile) {
		Path absolute = pidFile.toAbsolutePath();
		return "make " + absolute.getParent() + " writable by this process, on a file system with free space "
				+ "(with systemd: RuntimeDirectory=<app> and zerodowntime.pid-file=/run/<app>/"
				+ absolute.getFileName() + "), or point zerodowntime.pid-file at such a directory; remove "
				+ "zerodowntime.pid-file only if nothing (PIDFile=, a deploy script) reads it";
	}

}
