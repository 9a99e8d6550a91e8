package io.zerodowntime;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * Run in a child JVM by {@link PosixTests}: scrubs the variables named in its arguments
 * and reports, on fd 3, what native getenv and /proc/self/environ show before and after.
 */
public final class ScrubEnvironmentProbe {

	private ScrubEnvironmentProbe() {
	}

	public static void main(String[] args) throws Exception {
		Os os = Os.posix();
		ProcessEnvironment environment = os.environment();
		ByteArrayOutputStream report = new ByteArrayOutputStream();
		for (String name : args) {
			line(report, "before getenv " + name + "=" + environment.getenv(name));
		}
		environment.scrub(Set.of(args));
		for (String name : args) {
			line(report, "after getenv " + name + "=" + environment.getenv(name));
		}
		line(report, "getenv BAR=" + environment.getenv("BAR"));
		byte[] environ = Files.readAllBytes(Path.of("/proc/self/environ"));
		line(report, "environ " + new String(environ, StandardCharsets.ISO_8859_1).replace('\0', '|'));
		os.fds().writeFully(3, report.toByteArray());
	}

	private static void line(ByteArrayOutputStream report, String text) {
		report.writeBytes((text + "\n").getBytes(StandardCharsets.UTF_8));
	}

}
