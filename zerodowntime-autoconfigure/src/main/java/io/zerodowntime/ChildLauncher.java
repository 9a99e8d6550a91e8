package io.zerodowntime;

import java.io.IOException;
import java.util.List;

/** Starts a new generation with this process's listeners. */
interface ChildLauncher {

	/**
	 * Start a new generation.
	 * @param listeners the listeners to pass, in order
	 * @param generation the new generation's number
	 * @return a handle on it
	 * @throws IOException if it cannot be started at all
	 */
	Child launch(List<ListenerHandle> listeners, int generation) throws IOException;

	/**
	 * Load and link the classes and native stubs a launch needs, without launching.
	 */
	default void warmUp() {
	}

}
