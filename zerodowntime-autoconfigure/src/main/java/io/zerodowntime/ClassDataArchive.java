package io.zerodowntime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * The class-data archive a generation's command names: a CDS archive
 * ({@code -XX:SharedArchiveFile=}, JDK 17+) or an AOT cache ({@code -XX:AOTCache=}, JDK
 * 24+). An archive that is missing, or older than a jar of the class path (trained for
 * another release), leaves the JVM with no class sharing at all, slower than no flag:
 * such a flag is dropped from the next generation's command, with one warning saying why.
 * A command that names an archive gets no option added by the starter either: the JVM
 * rejects an archive trained with other module options (JDK 25: "Mismatched values for
 * property jdk.module.enable.native.access").
 */
final class ClassDataArchive {

	static final String SHARED_ARCHIVE_FILE = "-XX:SharedArchiveFile=";

	static final String AOT_CACHE = "-XX:AOTCache=";

	/** Without a usable cache the JVM refuses to start in this mode. */
	static final String AOT_MODE_ON = "-XX:AOTMode=on";

	/** The JVM creates or replaces the archive itself (JDK 19+): nothing to check. */
	static final String AUTO_CREATE = "-XX:+AutoCreateSharedArchive";

	/** Launcher options whose value is the next argument. */
	private static final Set<String> WITH_VALUE = Set.of("-cp", "-classpath", "--class-path", "-p", "--module-path",
			"--upgrade-module-path", "--add-modules", "--limit-modules", "--add-opens", "--add-exports", "--add-reads",
			"--patch-module", "--enable-native-access", "--source");

	private ClassDataArchive() {
	}

	/**
	 * Whether the JVM options of a {@code java} command name a class-data archive.
	 * @param command the command, argv[0] first
	 * @return whether an archive is named
	 */
	static boolean isNamed(List<String> command) {
		return optionIndexes(command).stream()
			.map(command::get)
			.anyMatch((o) -> o.startsWith(SHARED_ARCHIVE_FILE) || o.startsWith(AOT_CACHE));
	}

	/**
	 * Return the command without the archive options that would leave the next generation
	 * without class sharing: an archive that does not exist, or that is older than a jar
	 * of the class path. Relative paths are resolved against {@code workingDir}, where
	 * the next generation starts.
	 * @param command the command, argv[0] first
	 * @param workingDir the directory the next generation starts in
	 * @param warn told once for each dropped archive, why
	 * @return the command, unchanged when every named archive is usable
	 */
	static List<String> usable(List<String> command, Path workingDir, Consumer<String> warn) {
		List<String> options = jvmOptions(command);
		if (options.contains(AUTO_CREATE)) {
			return List.copyOf(command);
		}
		List<Path> jars = null;
		List<String> result = new ArrayList<>(command);
		boolean aotCacheDropped = false;
		for (int i : optionIndexes(command)) {
			String option = command.get(i);
			String flag = option.startsWith(SHARED_ARCHIVE_FILE) ? SHARED_ARCHIVE_FILE
					: option.startsWith(AOT_CACHE) ? AOT_CACHE : null;
			if (flag == null) {
				continue;
			}
			if (jars == null) {
				jars = classPathJars(command, options.size(), workingDir);
			}
			String problem = problem(option.substring(flag.length()), jars, workingDir);
			if (problem != null) {
				result.set(i, null);
				aotCacheDropped |= flag.equals(AOT_CACHE);
				warn.accept("Not using the class-data archive named by " + option + " for the next generation: "
						+ problem + ". It starts without " + flag.substring(0, flag.length() - 1)
						+ (flag.equals(AOT_CACHE) && options.contains(AOT_MODE_ON) ? " and " + AOT_MODE_ON : "")
						+ " (create the archive with zerodowntime-deploy --train; see docs/performance.md)");
			}
		}
		if (aotCacheDropped) {
			for (int i = 1; i <= options.size(); i++) {
				if (AOT_MODE_ON.equals(result.get(i))) {
					result.set(i, null);
				}
			}
		}
		result.removeIf((argument) -> argument == null);
		return List.copyOf(result);
	}

	private static String problem(String value, List<Path> jars, Path workingDir) {
		// JDK 17+ accepts a base and a dynamic archive: base.jsa:top.jsa
		for (String name : value.split(":")) {
			Path archive = workingDir.resolve(name);
			if (name.isEmpty() || !Files.isRegularFile(archive)) {
				return archive + " does not exist";
			}
			FileTime archived = lastModified(archive);
			for (Path jar : jars) {
				FileTime built = lastModified(jar);
				if (archived != null && built != null && built.compareTo(archived) > 0) {
					return archive + " (" + archived + ") is older than " + jar + " (" + built
							+ "), so it was trained for another release";
				}
			}
		}
		return null;
	}

	private static FileTime lastModified(Path path) {
		try {
			return Files.getLastModifiedTime(path);
		}
		catch (IOException ex) {
			return null;
		}
	}

	/** The indexes of the JVM options themselves, not of their separate values. */
	private static List<Integer> optionIndexes(List<String> command) {
		List<String> options = jvmOptions(command);
		List<Integer> indexes = new ArrayList<>();
		for (int i = 0; i < options.size(); i++) {
			indexes.add(i + 1);
			if (WITH_VALUE.contains(options.get(i))) {
				i++;
			}
		}
		return indexes;
	}

	/** The JVM options: argv[1] up to {@code -jar}, {@code -m} or the main class. */
	static List<String> jvmOptions(List<String> command) {
		if (command.isEmpty() || !Path.of(command.get(0)).getFileName().toString().equals("java")) {
			return List.of();
		}
		int end = 1;
		while (end < command.size()) {
			String argument = command.get(end);
			if (!argument.startsWith("-") || argument.equals("-jar") || argument.equals("-m")
					|| argument.equals("--module") || argument.startsWith("--module=")) {
				break;
			}
			end += (WITH_VALUE.contains(argument) && end + 1 < command.size()) ? 2 : 1;
		}
		return command.subList(1, end);
	}

	/** The jars the next generation loads classes from, as far as the command says. */
	static List<Path> classPathJars(List<String> command, int optionCount, Path workingDir) {
		List<Path> jars = new ArrayList<>();
		int main = optionCount + 1;
		if (main + 1 < command.size() && command.get(main).equals("-jar")) {
			Path jar = workingDir.resolve(command.get(main + 1));
			jars.add(jar);
			jars.addAll(manifestClassPath(jar));
			return jars;
		}
		List<String> options = command.subList(1, main);
		for (int i = 0; i < options.size(); i++) {
			String option = options.get(i);
			String value = null;
			if (Set.of("-cp", "-classpath", "--class-path").contains(option) && i + 1 < options.size()) {
				value = options.get(++i);
			}
			else if (option.startsWith("--class-path=")) {
				value = option.substring("--class-path=".length());
			}
			if (value != null) {
				jars.clear();
				for (String entry : value.split(":")) {
					jars.addAll(entryJars(workingDir, entry));
				}
			}
		}
		return jars;
	}

	private static List<Path> entryJars(Path workingDir, String entry) {
		if (entry.equals("*") || entry.endsWith("/*")) {
			Path dir = workingDir.resolve(entry.substring(0, entry.length() - 1));
			try (Stream<Path> files = Files.list(dir)) {
				return files.filter((f) -> f.getFileName().toString().endsWith(".jar")).sorted().toList();
			}
			catch (IOException ex) {
				return List.of();
			}
		}
		Path path = workingDir.resolve(entry);
		return (entry.endsWith(".jar") && Files.isRegularFile(path)) ? List.of(path) : List.of();
	}

	/** An extracted Spring Boot jar names its libraries in its manifest. */
	private static List<Path> manifestClassPath(Path jar) {
		if (!Files.isRegularFile(jar)) {
			return List.of();
		}
		try (JarFile file = new JarFile(jar.toFile(), false)) {
			Manifest manifest = file.getManifest();
			String classPath = (manifest != null) ? manifest.getMainAttributes().getValue(Attributes.Name.CLASS_PATH)
					: null;
			if (classPath == null) {
				return List.of();
			}
			Path dir = jar.toAbsolutePath().getParent();
			List<Path> jars = new ArrayList<>();
			for (String entry : classPath.trim().split("\\s+")) {
				Path path = dir.resolve(entry);
				if (Files.isRegularFile(path)) {
					jars.add(path);
				}
			}
			return jars;
		}
		catch (IOException | RuntimeException ex) {
			return List.of();
		}
	}

}
