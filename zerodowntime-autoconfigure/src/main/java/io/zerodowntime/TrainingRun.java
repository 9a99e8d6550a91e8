package io.zerodowntime;

import java.util.Map;

/**
 * Whether this JVM is a training run: started only to create a class-data archive, with
 * Spring's {@code spring.context.exit=onRefresh}, so it refreshes the application context
 * and exits before any web server binds a port or the application is ready. A training
 * run adopts no listener and talks to no previous generation, whatever its environment
 * holds: the starter then never writes the PID file, traps no upgrade signal and opens
 * nothing.
 */
final class TrainingRun {

	/** Spring Framework's property; a training run sets it to {@link #ON_REFRESH}. */
	static final String CONTEXT_EXIT = "spring.context.exit";

	static final String ON_REFRESH = "onRefresh";

	private TrainingRun() {
	}

	/**
	 * Whether this JVM is a training run.
	 * @return whether it is
	 */
	static boolean isActive() {
		return isActive(System.getProperty(CONTEXT_EXIT), System.getenv());
	}

	static boolean isActive(String systemProperty, Map<String, String> environment) {
		String value = (systemProperty != null) ? systemProperty : environment.get("SPRING_CONTEXT_EXIT");
		return ON_REFRESH.equalsIgnoreCase(value);
	}

}
