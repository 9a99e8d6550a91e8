package io.zerodowntime;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The command that starts the next generation: exactly this JVM's own command line from
 * {@code /proc/self/cmdline} (java binary, JVM options, {@code -jar} or class path, main
 * class, arguments), or the one the operator configured. The JVM option the adoption of
 * descriptors needs on JDK 24+ is added here, so the operator sets none, unless the
 * command names a class-data archive, which added options would invalidate
 * ({@link ClassDataArchive}).
 *
 * <p>
 * Every string this class hands out is in <em>byte form</em> ({@link ByteStrings}): each
 * {@code char} is one byte of the argument as the kernel holds it
 * ({@code /proc/self/cmdline} decoded as ISO-8859-1, a lossless byte to char mapping),
 * and the spawn encodes it back with ISO-8859-1 into {@code argv}, so an argument that is
 * not valid in the locale's charset ({@code --app.note=h\u00e9llo} under {@code LANG=C},
 * a value that is not UTF-8) reaches the next generation byte for byte. ASCII reads the
 * same in both forms, so rules that match options ({@code -D...}, {@code -jar}) work on
 * these strings as they are; a string made from text (a configured command) goes through
 * {@link ByteStrings#fromText}.
 */
final class CommandLine {

	static final String NATIVE_ACCESS = "--enable-native-access=ALL-UNNAMED";

	private CommandLine() {
	}

	/**
	 * Return the command for the next generation.
	 * @param configured the configured command (text), or an empty list for this JVM's
	 * own
	 * @param directory the next generation's working directory, which relative archive
	 * paths are relative to
	 * @param warn told why a class-data archive the command names is not used
	 * @return the command in byte form, argv[0] first
	 * @throws IOException if this JVM's command line cannot be read
	 */
	static List<String> forNextGeneration(List<String> configured, Path directory, Consumer<String> warn)
			throws IOException {
		List<String> command = configured.isEmpty() ? current()
				: configured.stream().map(ByteStrings::fromText).toList();
		if (command.isEmpty()) {
			throw new IOException("Unable to build the command of the next generation: it is empty");
		}
		List<String> withAgents = ManagementAgentOptions.forNextGeneration(command, System.getenv());
		return withNativeAccess(ClassDataArchive.usable(withAgents, directory, warn));
	}

	/**
	 * Return this JVM's own command line, in byte form.
	 * @return the command line, argv[0] first
	 * @throws IOException if {@code /proc/self/cmdline} cannot be read
	 */
	static List<String> current() throws IOException {
		return ByteStrings.readEntries(Path.of("/proc/self/cmdline"), false);
	}

	/**
	 * Add, right after the {@code java} launcher and only once each, the options a new
	 * generation needs: native access (JDK 24+ warns without it) and {@code java.lang}
	 * opened, so it can remove the handover variables from the JDK's copy of the
	 * environment ({@link ProcessEnvironment#scrub}). Other programs, and a command that
	 * names a class-data archive, are left as they are.
	 */
	static List<String> withNativeAccess(List<String> command) {
		String program = Path.of(command.get(0)).getFileName().toString();
		if (!program.equals("java") || ClassDataArchive.isNamed(command)) {
			return List.copyOf(command);
		}
		List<String> result = new ArrayList<>(command);
		int at = 1;
		for (String option : List.of(NATIVE_ACCESS, ProcessEnvironment.OPEN_JAVA_LANG)) {
			if (!command.contains(option)) {
				result.add(at++, option);
			}
		}
		return List.copyOf(result);
	}

}
