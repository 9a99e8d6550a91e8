package io.zerodowntime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIOException;

/**
 * Tests for {@link ManagementAgentOptions}.
 */
class ManagementAgentOptionsTests {

	private static final String DEFERRED = "-D" + ManagementAgentOptions.DEFERRED_PREFIX;

	@TempDir
	Path dir;

	@Test
	void aJmxPortOnTheCommandLineIsDeferredWithEveryJmxRemoteOptionAndSelfAttachIsAllowed() throws IOException {
		List<String> command = List.of("/usr/bin/java", "-Xmx256m", "-Dcom.sun.management.jmxremote",
				"-Dcom.sun.management.jmxremote.port=9010", "-Dcom.sun.management.jmxremote.authenticate=false",
				"-Djava.rmi.server.hostname=127.0.0.1", "-jar", "app.jar", "--server.port=8080");
		assertThat(ManagementAgentOptions.forNextGeneration(command, Map.of())).containsExactly("/usr/bin/java",
				ManagementAgentOptions.ALLOW_ATTACH_SELF, "-Xmx256m", DEFERRED + "com.sun.management.jmxremote",
				DEFERRED + "com.sun.management.jmxremote.port=9010",
				DEFERRED + "com.sun.management.jmxremote.authenticate=false", "-Djava.rmi.server.hostname=127.0.0.1",
				"-jar", "app.jar", "--server.port=8080");
	}

	@Test
	void aCommandWhoseJmxOptionsAreDeferredAlreadyIsLeftAsItIs() throws IOException {
		List<String> once = ManagementAgentOptions.forNextGeneration(
				List.of("java", "-Dcom.sun.management.jmxremote.port=9010", "-cp", "app.jar", "app.Main"), Map.of());
		assertThat(ManagementAgentOptions.forNextGeneration(once, Map.of())).isEqualTo(once);
	}

	@Test
	void onlyJvmOptionsAreRewrittenNotTheApplicationsArguments() throws IOException {
		List<String> command = List.of("java", "-Dcom.sun.management.jmxremote.port=9010", "-cp", "a.jar:b.jar",
				"app.Main", "-Dcom.sun.management.jmxremote.ssl=false");
		assertThat(ManagementAgentOptions.forNextGeneration(command, Map.of())).containsExactly("java",
				ManagementAgentOptions.ALLOW_ATTACH_SELF, DEFERRED + "com.sun.management.jmxremote.port=9010", "-cp",
				"a.jar:b.jar", "app.Main", "-Dcom.sun.management.jmxremote.ssl=false");
	}

	@Test
	void jmxWithoutAFixedPortIsLeftAsItIs() throws IOException {
		for (List<String> command : List.of(List.of("java", "-Dcom.sun.management.jmxremote", "-jar", "a.jar"),
				List.of("java", "-Dcom.sun.management.jmxremote.port=0", "-jar", "a.jar"),
				List.of("java", "-jar", "a.jar", "--x=-Dcom.sun.management.jmxremote.port=9010"))) {
			assertThat(ManagementAgentOptions.forNextGeneration(command, Map.of())).as(command.toString())
				.isEqualTo(command);
		}
	}

	@Test
	void aJmxPortInTheManagementConfigFileIsDeferredWithTheFile() throws IOException {
		Path config = this.dir.resolve("management.properties");
		Files.writeString(config, "com.sun.management.jmxremote.port=9011\ncom.sun.management.jmxremote.ssl=false\n");
		List<String> command = List.of("java", "-Dcom.sun.management.config.file=" + config, "-jar", "a.jar");
		assertThat(ManagementAgentOptions.forNextGeneration(command, Map.of())).containsExactly("java",
				ManagementAgentOptions.ALLOW_ATTACH_SELF, DEFERRED + "com.sun.management.config.file=" + config, "-jar",
				"a.jar");
	}

	@Test
	void otherProgramsAreLeftAsTheyAre() throws IOException {
		List<String> command = List.of("/opt/app/start.sh", "-Dcom.sun.management.jmxremote.port=9010");
		assertThat(ManagementAgentOptions.forNextGeneration(command, Map.of())).isEqualTo(command);
	}

	@Test
	void aDebugAgentListeningOnAFixedPortIsRefusedNamingTheOptionAndTheFix() {
		for (String option : List.of("-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=*:5005",
				"-agentlib:jdwp=transport=dt_socket,server=y,address=5005",
				"-Xrunjdwp:transport=dt_socket,server=y,suspend=n,address=127.0.0.1:5005",
				"-agentpath:/usr/lib/jvm/x/lib/libjdwp.so=transport=dt_socket,server=y,address=5005")) {
			assertThatIOException()
				.isThrownBy(() -> ManagementAgentOptions.forNextGeneration(List.of("java", option, "-jar", "a.jar"),
						Map.of()))
				.as(option)
				.withMessageStartingWith("Unable to start the next generation: the next generation's command line has "
						+ "the debug agent option " + option + ", which listens on port 5005")
				.withMessageContaining("Remove the option")
				.withMessageContaining("address=0");
		}
	}

	@Test
	void aDebugAgentThatConnectsOutOrPicksAFreePortIsAccepted() throws IOException {
		for (String option : List.of("-agentlib:jdwp=transport=dt_socket,server=n,address=debughost:5005",
				"-agentlib:jdwp=transport=dt_socket,address=debughost:5005",
				"-agentlib:jdwp=transport=dt_socket,server=y,address=0",
				"-agentlib:jdwp=transport=dt_socket,server=y,address=localhost:0",
				"-agentlib:jdwp=transport=dt_socket,server=y")) {
			List<String> command = List.of("java", option, "-jar", "a.jar");
			assertThat(ManagementAgentOptions.forNextGeneration(command, Map.of())).as(option).isEqualTo(command);
		}
	}

	@Test
	void fixedPortsInTheJvmsOptionVariablesAreRefusedWithTheFix() {
		assertThatIOException()
			.isThrownBy(() -> ManagementAgentOptions.forNextGeneration(List.of("java", "-jar", "a.jar"),
					Map.of("JAVA_TOOL_OPTIONS", "-Xmx1g -Dcom.sun.management.jmxremote.port=9010")))
			.withMessageStartingWith("Unable to start the next generation: JAVA_TOOL_OPTIONS has "
					+ "-Dcom.sun.management.jmxremote.port=9010")
			.withMessageContaining("on the java command line instead");
		assertThatIOException()
			.isThrownBy(() -> ManagementAgentOptions.forNextGeneration(List.of("/opt/app/start.sh"),
					Map.of("JDK_JAVA_OPTIONS", "-agentlib:jdwp=transport=dt_socket,server=y,address=8000")))
			.withMessageStartingWith("Unable to start the next generation: JDK_JAVA_OPTIONS has the debug agent "
					+ "option -agentlib:jdwp=transport=dt_socket,server=y,address=8000, which listens on port 8000");
	}

	@Test
	void deferredOptionsAreReadBackWithTheirOriginalNames() {
		Properties system = new Properties();
		system.setProperty(ManagementAgentOptions.DEFERRED_PREFIX + "com.sun.management.jmxremote.port", "9010");
		system.setProperty(ManagementAgentOptions.DEFERRED_PREFIX + "com.sun.management.jmxremote.ssl", "false");
		system.setProperty("java.version", "17");
		Properties deferred = ManagementAgentOptions.deferred(system);
		assertThat(deferred).hasSize(2)
			.containsEntry("com.sun.management.jmxremote.port", "9010")
			.containsEntry("com.sun.management.jmxremote.ssl", "false");
	}

	@Test
	void jvmOptionsEndAtTheJarTheMainClassOrTheModule() {
		assertThat(ManagementAgentOptions.endOfJvmOptions(List.of("java", "-Xmx1g", "-jar", "a.jar", "-Dx")))
			.isEqualTo(2);
		assertThat(ManagementAgentOptions.endOfJvmOptions(List.of("java", "-cp", "-weird", "Main", "-Dx")))
			.isEqualTo(3);
		assertThat(ManagementAgentOptions.endOfJvmOptions(List.of("java", "-Dx", "-m", "app/app.Main"))).isEqualTo(2);
		assertThat(ManagementAgentOptions.endOfJvmOptions(List.of("java", "-version"))).isEqualTo(2);
	}

}
