package io.zerodowntime;

import java.nio.file.Path;

/**
 * Thrown when a generation cannot write its PID file when it is ready: it must not start,
 * because systemd ({@code PIDFile=}) and deploy scripts would follow a pid that is gone
 * or about to be. Generation 1 then refuses to start; a later generation fails its
 * readiness, so the upgrade fails and the generation serving keeps serving.
 */
class PidFileException extends GenerationStartException {

	PidFileException(Path pidFile, String problem) {
		super(problem + ". Fix: " + action(pidFile),
				problem + ". The service manager and deploy scripts follow this file to the serving generation, so "
						+ "a generation that cannot write it does not start.",
				capitalized(action(pidFile)) + ".", null);
	}

	private static String action(Path pidFile) {
		Path absolute = pidFile.toAbsolutePath();
		return "make " + absolute.getParent() + " writable by this process, on a file system with free space "
				+ "(with systemd: RuntimeDirectory=<app> and zerodowntime.pid-file=/run/<app>/" + absolute.getFileName()
				+ "), or point zerodowntime.pid-file at such a directory; remove "
				+ "zerodowntime.pid-file only if nothing (PIDFile=, a deploy script) reads it";
	}

	private static String capitalized(String text) {
		return Character.toUpperCase(text.charAt(0)) + text.substring(1);
	}

}
