package io.zerodowntime;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * The command that starts the next generation: exactly this JVM's own command line from
 * {@code /proc/self/cmdline} (java binary, JVM options, {@code -jar} or class path, main
 * class, arguments), or the one the operator configured. The JVM option the adoption of
 * descriptors needs on JDK 24+ is added here, so the operator sets none, unless the command
 * names a class-data archive, which added options would invalidate ({@link ClassDataArchive}).
 */
final class CommandLine {

	static final String NATIVE_ACCESS = "--enable-native-access=ALL-UNNAMED";

	private static final Log logger = LogFactory.getLog(CommandLine.class);

	private CommandLine() {
	}

	/**
	 * Return the command for the next generation.
	 * @param configured the configured command, or an empty list for this JVM's own
	 * @return the command, argv[0] first
	 * @throws IOException if this JVM's command line cannot be read
	 */
	static List<String> forNextGeneration(List<String> configured) throws IOException {
		return forNextGeneration(configured, logger::warn);
	}

	/**
	 * Return the command for the next generation.
	 * @param configured the configured command, or an empty list for this JVM's own
	 * @param warn told why a class-data archive the command names is not used
	 * @return the command, argv[0] first
	 * @throws IOException if this JVM's command line cannot be read
	 */
	static List<String> forNextGeneration(List<String> configured, Consumer<String> warn)
			throws IOException {
		List<String> command = configured.isEmpty() ? current() : configured;
		if (command.isEmpty()) {
			throw new IOException("Unable to build the command of the next generation: it is empty");
		}
		return withNativeAccess(ClassDataArchive.usable(command, Path.of(System.getProperty("user.dir")), warn));
	}

	static List<String> current() throws IOException {
		byte[] bytes = Files.readAllBytes(Path.of("/proc/self/cmdline"));
		List<String> argv = new ArrayList<>();
		int start = 0;
		for (int i = 0; i < bytes.length; i++) {
			if (bytes[i] == 0) {
				argv.add(new String(bytes, start, i - start, Charset.defaultCharset()));
				start = i + 1;
			}
		}
		if (start < bytes.length) {
			argv.add(new String(bytes, start, bytes.length - start, Charset.defaultCharset()));
		}
		return argv;
	}

	/**
	 * Add, right after the {@code java} launcher and only once each, the options a new
	 * generation needs: native access (JDK 24+ warns without it) and {@code java.lang}
	 * opened, so it can remove the handover variables from the JDK's copy of the
	 * environment ({@link JdkEnvironment}). Other programs, and a command that names a
	 * class-data archive, are left as they are.
	 */
	static List<String> withNativeAccess(List<String> command) {
		String program = Path.of(command.get(0)).getFileName().toString();
		if (!program.equals("java") || ClassDataArchive.isNamed(command)) {
			return List.copyOf(command);
		}
		List<String> result = new ArrayList<>(command);
		int at = 1;
		for (String option : List.of(NATIVE_ACCESS, JdkEnvironment.OPEN_JAVA_LANG)) {
			if (!command.contains(option)) {
				result.add(at++, option);
			}
		}
		return List.copyOf(result);
	}

}
