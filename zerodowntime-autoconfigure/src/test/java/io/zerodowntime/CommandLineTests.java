package io.zerodowntime;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link CommandLine}.
 */
class CommandLineTests {

	private static final String NATIVE_ACCESS = "--enable-native-access=ALL-UNNAMED";

	private static final String OPEN_JAVA_LANG = "--add-opens=java.base/java.lang=ALL-UNNAMED";

	@Test
	void withNativeAccessInsertsTheNewGenerationsOptionsRightAfterTheJavaLauncher() {
		List<String> command = List.of("/usr/lib/jvm/x/bin/java", "-Xmx256m", "-jar", "app.jar", "--server.port=0");
		assertThat(CommandLine.withNativeAccess(command)).containsExactly("/usr/lib/jvm/x/bin/java", NATIVE_ACCESS,
				OPEN_JAVA_LANG, "-Xmx256m", "-jar", "app.jar", "--server.port=0");
	}

	@Test
	void withNativeAccessRecognisesABareJavaOnThePath() {
		assertThat(CommandLine.withNativeAccess(List.of("java", "-jar", "app.jar"))).containsExactly("java",
				NATIVE_ACCESS, OPEN_JAVA_LANG, "-jar", "app.jar");
	}

	@Test
	void withNativeAccessNeverAddsAnOptionTwice() {
		List<String> complete = List.of("/usr/bin/java", NATIVE_ACCESS, OPEN_JAVA_LANG, "-jar", "app.jar");
		assertThat(CommandLine.withNativeAccess(complete)).isEqualTo(complete);
		List<String> once = CommandLine.withNativeAccess(List.of("/usr/bin/java", "-jar", "a.jar"));
		assertThat(CommandLine.withNativeAccess(once)).isEqualTo(once);
		for (List<String> partial : List.of(List.of("/usr/bin/java", NATIVE_ACCESS, "-jar", "a.jar"),
				List.of("/usr/bin/java", "-jar", "a.jar", OPEN_JAVA_LANG))) {
			List<String> result = CommandLine.withNativeAccess(partial);
			assertThat(result).as(partial.toString())
				.startsWith("/usr/bin/java")
				.containsOnlyOnce(NATIVE_ACCESS, OPEN_JAVA_LANG);
			assertThat(result.subList(1, 2)).as(partial.toString()).containsAnyOf(NATIVE_ACCESS, OPEN_JAVA_LANG);
		}
	}

	@Test
	void withNativeAccessLeavesOtherProgramsAlone() {
		for (List<String> command : List.of(List.of("/opt/app/bin/start.sh", "--port", "8080"),
				List.of("/usr/bin/env", "java", "-jar", "app.jar"),
				List.of("/usr/lib/jvm/x/bin/javaw", "-jar", "a.jar"), List.of("/opt/java/app", "-jar", "a.jar"),
				List.of("/usr/bin/javac", "Main.java"))) {
			assertThat(CommandLine.withNativeAccess(command)).as(command.get(0)).isEqualTo(command);
		}
	}

	@Test
	void withNativeAccessDoesNotChangeItsArgument() {
		List<String> command = new ArrayList<>(List.of("/usr/bin/java", "-jar", "app.jar"));
		List<String> result = CommandLine.withNativeAccess(command);
		assertThat(command).containsExactly("/usr/bin/java", "-jar", "app.jar");
		assertThat(result).isUnmodifiable();
	}

	@Test
	void currentIsThisJvmsOwnCommandLine() throws IOException {
		List<String> argv = CommandLine.current();
		assertThat(argv).isNotEmpty().doesNotContainNull();
		assertThat(Path.of(argv.get(0)).getFileName()).hasToString("java");
		ProcessHandle.current()
			.info()
			.arguments()
			.ifPresent(
					(arguments) -> assertThat(argv).containsExactlyElementsOf(concat(argv.get(0), List.of(arguments))));
	}

	@Test
	void forNextGenerationDefaultsToThisJvmsCommandLineWithNativeAccess() throws IOException {
		List<String> current = CommandLine.current();
		assertThat(next(List.of())).isEqualTo(CommandLine.withNativeAccess(current))
			.containsOnlyOnce(NATIVE_ACCESS, OPEN_JAVA_LANG);
	}

	@Test
	void forNextGenerationUsesTheConfiguredCommand() throws IOException {
		assertThat(next(List.of("/srv/app/bin/java", "-jar", "/srv/app/app-2.jar")))
			.containsExactly("/srv/app/bin/java", NATIVE_ACCESS, OPEN_JAVA_LANG, "-jar", "/srv/app/app-2.jar");
		assertThat(next(List.of("/srv/app/run"))).containsExactly("/srv/app/run");
	}

	@Test
	void currentIsTheKernelsBytesOneCharPerByte() throws IOException {
		byte[] cmdline = java.nio.file.Files.readAllBytes(Path.of("/proc/self/cmdline"));
		String joined = String.join("\0", CommandLine.current()) + "\0";
		assertThat(ByteStrings.toBytes(joined)).containsExactly(cmdline);
	}

	@Test
	void aConfiguredCommandIsTextAndComesOutInByteForm() throws IOException {
		String jnu = System.getProperty("sun.jnu.encoding");
		try {
			System.setProperty("sun.jnu.encoding", "UTF-8");
			List<String> command = next(List.of("/srv/app/run", "--app.note=h\u00e9llo"));
			assertThat(ByteStrings.toBytes(command.get(1)))
				.containsExactly("--app.note=h\u00e9llo".getBytes(java.nio.charset.StandardCharsets.UTF_8));
		}
		finally {
			System.setProperty("sun.jnu.encoding", jnu);
		}
	}

	@Test
	void optionsAreTheOnesTheJdkExpects() {
		assertThat(CommandLine.NATIVE_ACCESS).isEqualTo(NATIVE_ACCESS);
		assertThat(ProcessEnvironment.OPEN_JAVA_LANG).isEqualTo(OPEN_JAVA_LANG);
	}

	private static List<String> concat(String first, List<String> rest) {
		List<String> all = new ArrayList<>();
		all.add(first);
		all.addAll(rest);
		return all;
	}

	private static List<String> next(List<String> configured) throws IOException {
		return CommandLine.forNextGeneration(configured, Path.of("/srv/app"), (unusedArchive) -> {
		});
	}

}
