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

	/**
	 * Descriptor of the new generation's end of the handshake socket (after the
	 * listeners).
	 */
	static final String HANDSHAKE_FD = "ZERODOWNTIME_HANDSHAKE_FD";

	/** Generation number of the new process. */
	static final String GENERATION = "ZERODOWNTIME_GENERATION";

	/**
	 * Pid of the generation that started the new one; checked against the socket's peer.
	 */
	static final String PARENT_PID = "ZERODOWNTIME_PARENT_PID";

	/** When generation 1 started, in epoch milliseconds. */
	static final String ORIGINAL_START = "ZERODOWNTIME_ORIGINAL_START";

	/** Every variable that is removed from the environment once read. */
	static final Set<String> VARIABLES = Set.of(LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES, HANDSHAKE_FD, GENERATION,
			PARENT_PID, ORIGINAL_START);

	/** Child to parent, first line, written by the launching shell: {@code PID <pid>}. */
	static final String PID = "PID";

	/** Child to parent: fully started, accepting on every listener. */
	static final String READY = "READY";

	/** Child to parent: startup failed, {@code FAILED <reason>}. */
	static final String FAILED = "FAILED";

	/**
	 * Child to parent: {@code NOT_READY <reason>}, its readiness turned false (or, before
	 * {@link #READY}, why it is not ready yet). During probation the parent rolls back.
	 */
	static final String NOT_READY = "NOT_READY";

	/**
	 * Child to parent, during probation: {@code REQUESTS <answered> <5xx>}, the requests
	 * answered since ready, and how many of them with a 5xx.
	 */
	static final String REQUESTS = "REQUESTS";

	/**
	 * Parent to child, right after {@link #READY}:
	 * {@code PROBATION <until-epoch-ms> <upgrade-duration-ms>}; an until of 0 means no
	 * probation.
	 */
	static final String PROBATION = "PROBATION";

	/** Parent to child: the probation is over, the child serves for good. */
	static final String CONFIRMED = "CONFIRMED";

	/**
	 * Parent to child: {@code ROLLBACK <reason>}; the parent has resumed accepting, the
	 * child stops accepting, drains and exits.
	 */
	static final String ROLLBACK = "ROLLBACK";

	/**
	 * The launch is a double fork, so the new generation is not our child but the service
	 * manager's (systemd 252 kills a main pid that is not its own child without a drain).
	 * The outer shell starts the inner one in the background and exits at once. The inner
	 * shell reports its pid (which {@code exec} keeps for the JVM), sets
	 * {@code LISTEN_PID} to it, as systemd does after its fork, and becomes the JVM.
	 * Arguments: the inner script, then the command.
	 */
	static final String OUTER_SCRIPT = "inner=$1; shift; /bin/sh -c \"$inner\" zerodowntime-generation \"$@\" &";

	/**
	 * Return the inner script for a handshake descriptor.
	 * @param handshakeFd the descriptor the new generation reports on
	 * @return the script
	 */
	static String innerScript(int handshakeFd) {
		return "LISTEN_PID=$$; export LISTEN_PID; printf '" + PID + " %s\\n' \"$$\" >&" + handshakeFd + "; exec \"$@\"";
	}

	private Handshake() {
	}

}
