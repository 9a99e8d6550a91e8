package io.zerodowntime;

import java.lang.reflect.Field;
import java.util.Map;
import java.util.Set;

/**
 * Removes variables from the JDK's own copy of the environment, which
 * {@code System.getenv()} answers from and {@code ProcessBuilder} passes to every process
 * the application starts. The JDK takes that copy once, early (log4j's status logger does it
 * before any Spring hook runs), and keeps it in a private field of
 * {@code java.lang.ProcessEnvironment}; reaching it needs {@code java.lang} opened, which
 * {@link CommandLine} does for every generation it starts. Generation 1, started by the
 * operator without the flag, keeps its copy.
 */
final class JdkEnvironment {

	/** The JVM option that lets this class reach the JDK's copy. */
	static final String OPEN_JAVA_LANG = "--add-opens=java.base/java.lang=ALL-UNNAMED";

	private JdkEnvironment() {
	}

	/**
	 * Remove variables from the JDK's copy of the environment.
	 * @param names the variable names
	 * @return whether the copy could be reached
	 */
	static boolean scrub(Set<String> names) {
		if (!Object.class.getModule().isOpen("java.lang", JdkEnvironment.class.getModule())) {
			return false;
		}
		try {
			Field field = Class.forName("java.lang.ProcessEnvironment").getDeclaredField("theEnvironment");
			field.setAccessible(true);
			Map<?, ?> environment = (Map<?, ?>) field.get(null);
			synchronized (environment) {
				environment.keySet().removeIf((name) -> names.contains(name.toString()));
			}
			return true;
		}
		catch (ReflectiveOperationException | RuntimeException ex) {
			return false;
		}
	}

}
