package io.zerodowntime;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * The rules for JVM options that make a JVM listen on a fixed port of its own, outside
 * the listeners that are handed over: the JMX agent
 * ({@code -Dcom.sun.management.jmxremote.port}) and the debug agent
 * ({@code -agentlib:jdwp=server=y,address=5005}). The running generation holds that port,
 * so a new JVM started with the same option cannot bind it and exits at once.
 *
 * <p>
 * The JMX options are deferred: the next generation gets them renamed with
 * {@value #DEFERRED_PREFIX} in front, so its JVM starts no agent, and starts the agent
 * itself once its predecessor has exited and released the port
 * ({@link DeferredManagementAgent}). A debug agent listening on a fixed port is refused
 * before anything is spawned, with a message naming the option and the fix. The same
 * options in {@code JAVA_TOOL_OPTIONS}, {@code JDK_JAVA_OPTIONS} or
 * {@code _JAVA_OPTIONS}, which cannot be rewritten per JVM, are refused too.
 */
final class ManagementAgentOptions {

	/** Prefix of a system property that holds a deferred management option. */
	static final String DEFERRED_PREFIX = "io.zerodowntime.deferred.";

	/** Lets the next generation start its JMX agent through the attach API. */
	static final String ALLOW_ATTACH_SELF = "-Djdk.attach.allowAttachSelf=true";

	static final String JMX_PORT = "com.sun.management.jmxremote.port";

	static final String JMX_PREFIX = "com.sun.management.jmxremote";

	static final String CONFIG_FILE = "com.sun.management.config.file";

	/** Environment variables the JVM or its launcher reads options from. */
	static final List<String> OPTION_VARIABLES = List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS");

	/** Launcher options whose value is the next argument. */
	private static final Set<String> OPTIONS_WITH_VALUE = Set.of("-cp", "-classpath", "--class-path", "-p",
			"--module-path", "--upgrade-module-path", "--add-modules", "--add-opens", "--add-exports", "--add-reads",
			"--patch-module", "--limit-modules", "--enable-native-access", "--source");

	private ManagementAgentOptions() {
	}

	/**
	 * Apply the rules to the next generation's command.
	 * @param command the command, argv[0] first
	 * @param environment the environment the next generation gets
	 * @return the command with the JMX options deferred, or the command itself
	 * @throws IOException if an option would make the next generation fail to bind a port
	 * this generation holds, and cannot be deferred
	 */
	static List<String> forNextGeneration(List<String> command, Map<String, String> environment) throws IOException {
		for (String variable : OPTION_VARIABLES) {
			String value = environment.get(variable);
			if (value != null) {
				checkVariable(variable, value);
			}
		}
		if (!isJava(command)) {
			return command;
		}
		int end = endOfJvmOptions(command);
		String port = null;
		String configFile = null;
		for (int i = 1; i < end; i++) {
			String option = command.get(i);
			checkDebugAgent(option, "the next generation's command line has");
			if (option.startsWith("-D" + JMX_PORT + "=")) {
				port = option.substring(JMX_PORT.length() + 3);
			}
			else if (option.startsWith("-D" + CONFIG_FILE + "=")) {
				configFile = option.substring(CONFIG_FILE.length() + 3);
			}
		}
		if (port == null && configFile != null) {
			port = portInConfigFile(configFile);
		}
		if (!isFixedPort(port)) {
			return command;
		}
		List<String> result = new ArrayList<>(command.size() + 1);
		result.add(command.get(0));
		if (!command.contains(ALLOW_ATTACH_SELF)) {
			result.add(ALLOW_ATTACH_SELF);
		}
		for (int i = 1; i < command.size(); i++) {
			String option = command.get(i);
			result.add((i < end && isDeferrable(option)) ? "-D" + DEFERRED_PREFIX + option.substring(2) : option);
		}
		return List.copyOf(result);
	}

	/**
	 * Return the management options deferred to this JVM, with their original names.
	 * @param systemProperties this JVM's system properties
	 * @return the options, empty when none was deferred
	 */
	static Properties deferred(Properties systemProperties) {
		Properties deferred = new Properties();
		for (String name : systemProperties.stringPropertyNames()) {
			if (name.startsWith(DEFERRED_PREFIX)) {
				deferred.setProperty(name.substring(DEFERRED_PREFIX.length()), systemProperties.getProperty(name));
			}
		}
		return deferred;
	}

	private static boolean isDeferrable(String option) {
		return option.equals("-D" + JMX_PREFIX) || option.startsWith("-D" + JMX_PREFIX + ".")
				|| option.startsWith("-D" + JMX_PREFIX + "=") || option.startsWith("-D" + CONFIG_FILE + "=");
	}

	private static boolean isJava(List<String> command) {
		return !command.isEmpty() && Path.of(command.get(0)).getFileName().toString().equals("java");
	}

	/**
	 * Index of the first argument that is not a JVM option: the main class, or
	 * {@code -jar}.
	 */
	static int endOfJvmOptions(List<String> command) {
		int i = 1;
		while (i < command.size()) {
			String argument = command.get(i);
			if (!argument.startsWith("-") || argument.equals("-jar") || argument.equals("-m")
					|| argument.equals("--module") || argument.startsWith("--module=")) {
				return i;
			}
			i += OPTIONS_WITH_VALUE.contains(argument) ? 2 : 1;
		}
		return Math.min(i, command.size());
	}

	private static void checkVariable(String variable, String value) throws IOException {
		for (String option : value.trim().split("\\s+")) {
			checkDebugAgent(option, variable + " has");
			if (option.startsWith("-D" + JMX_PORT + "=") && isFixedPort(option.substring(JMX_PORT.length() + 3))) {
				throw new IOException("Unable to start the next generation: " + variable + " has " + option
						+ ", so every JVM started with this environment opens a JMX agent on port "
						+ option.substring(JMX_PORT.length() + 3)
						+ ", which this generation holds: the new JVM would fail to start. Put the "
						+ "com.sun.management.jmxremote.* options on the java command line instead of in " + variable
						+ " (there the next generation starts its JMX agent once this one has exited)");
			}
		}
	}

	/**
	 * Refuse a debug agent that listens on a fixed port: {@code -agentlib:jdwp=...},
	 * {@code -Xrunjdwp:...} or {@code -agentpath:.../libjdwp.so=...} with
	 * {@code server=y} and an address whose port is not 0.
	 */
	static void checkDebugAgent(String option, String where) throws IOException {
		String settings;
		if (option.startsWith("-agentlib:jdwp=")) {
			settings = option.substring("-agentlib:jdwp=".length());
		}
		else if (option.startsWith("-Xrunjdwp:")) {
			settings = option.substring("-Xrunjdwp:".length());
		}
		else if (option.startsWith("-agentpath:") && option.contains("libjdwp.") && option.contains("=")) {
			settings = option.substring(option.indexOf('=') + 1);
		}
		else {
			return;
		}
		boolean server = false;
		String address = null;
		for (String setting : settings.split(",")) {
			if (setting.equals("server=y")) {
				server = true;
			}
			else if (setting.startsWith("address=")) {
				address = setting.substring("address=".length());
			}
		}
		if (!server || address == null) {
			return;
		}
		String port = address.substring(address.lastIndexOf(':') + 1);
		if (isFixedPort(port)) {
			throw new IOException("Unable to start the next generation: " + where + " the debug agent option " + option
					+ ", which listens on port " + port
					+ ", and this generation holds that port: the new JVM would fail to start. "
					+ "Remove the option to upgrade (a debugger attaches to one generation, not to its successors), "
					+ "or let the agent choose a free port with address=0 (the port is printed at startup)");
		}
	}

	private static boolean isFixedPort(String port) {
		if (port == null) {
			return false;
		}
		try {
			return Integer.parseInt(port.trim()) != 0;
		}
		catch (NumberFormatException ex) {
			// not a port the JVM can bind either; the JVM says so itself
			return false;
		}
	}

	private static String portInConfigFile(String file) {
		Properties properties = new Properties();
		try (InputStream in = Files.newInputStream(Path.of(file))) {
			properties.load(in);
		}
		catch (IOException | RuntimeException ex) {
			return null;
		}
		return properties.getProperty(JMX_PORT);
	}

}
