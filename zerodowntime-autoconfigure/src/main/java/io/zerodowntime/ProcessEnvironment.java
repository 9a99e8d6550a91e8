package io.zerodowntime;

import java.util.Set;

/**
 * This process's environment as native code and child processes see it, beside the JDK's
 * own copy. {@link PosixEnvironment} reaches both; tests pass a fake.
 */
interface ProcessEnvironment {

	/**
	 * The JVM option that lets {@link #scrub} reach the JDK's copy of the environment;
	 * {@link CommandLine} adds it for every generation it starts. Generation 1, started
	 * by the operator without it, keeps that copy.
	 */
	String OPEN_JAVA_LANG = "--add-opens=java.base/java.lang=ALL-UNNAMED";

	/**
	 * Return the C library's (not the JDK's cached) value of a variable.
	 * @param name the variable
	 * @return its value, or {@code null}
	 */
	String getenv(String name);

	/**
	 * Remove variables from this process: from the JDK's copy (which
	 * {@code System.getenv()} answers from and {@code ProcessBuilder} passes on) when
	 * {@link #OPEN_JAVA_LANG} lets it be reached, from the C library's environment, and
	 * from the original environment block that {@code /proc/self/environ} shows.
	 * @param names the variable names
	 * @throws NativeException if the C library's environment or the block cannot be
	 * rewritten
	 */
	void scrub(Set<String> names) throws NativeException;

}
