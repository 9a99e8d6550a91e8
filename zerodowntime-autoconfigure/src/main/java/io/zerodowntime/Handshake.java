package io.zerodowntime;

import java.util.Set;

/**
 * Every name and number of the protocol between generations, in one place.
 *
 * <p>
 * Listeners travel the way systemd passes them ({@code sd_listen_fds(3)}): descriptors
 * from 3 on, counted by {@link #LISTEN_FDS}, addressed to the pid in {@link #LISTEN_PID},
 * named by {@link #LISTEN_FDNAMES} (our connectors are named {@code http},
 * {@code management}, and so on). The variables are removed from this process as soon as
 * they have been read, so neither the application nor anything it spawns sees them.
 */
final class Handshake {

	/** Number of passed listeners. */
	static final String LISTEN_FDS = "LISTEN_FDS";

	/** Pid of the process the listeners are meant for. */
	static final String LISTEN_PID = "LISTEN_PID";

	/** Colon-separated names of the passed listeners. */
	static final String LISTEN_FDNAMES = "LISTEN_FDNAMES";

	/** Every variable that is removed from the environment once read. */
	static final Set<String> VARIABLES = Set.of(LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES);

	private Handshake() {
	}

}
