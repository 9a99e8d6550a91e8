package io.zerodowntime;

import java.io.IOException;
import java.time.Instant;
import java.util.Map;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * What this process learned once, at startup, from its environment: which generation it
 * is and which listeners were passed to it. Reading it also removes the handover
 * variables from the environment, so neither the application nor anything it spawns sees
 * them. There is one per process, as there is one set of inherited descriptors per
 * process.
 */
final class ProcessState {

	private static final Log logger = LogFactory.getLog(ProcessState.class);

	private static volatile ProcessState instance;

	private final Generation generation;

	private final Listeners listeners;

	private final ListenerHandoverException failure;

	private final ParentLink parentLink;

	private ProcessState(Generation generation, Listeners listeners, ListenerHandoverException failure,
			ParentLink parentLink) {
		this.generation = generation;
		this.listeners = listeners;
		this.failure = failure;
		this.parentLink = parentLink;
	}

	/**
	 * Return this process's state, reading the environment on the first call.
	 * @return the state
	 */
	static ProcessState get() {
		ProcessState state = instance;
		if (state == null) {
			synchronized (ProcessState.class) {
				state = instance;
				if (state == null) {
					// a training run must never take over a listener or answer a
					// handshake
					state = read(TrainingRun.isActive() ? Map.of() : System.getenv(), Os.posix());
					instance = state;
				}
			}
		}
		return state;
	}

	static boolean isRead() {
		return instance != null;
	}

	/**
	 * Read the state from an environment, trusting nothing in it that the operating
	 * system does not confirm.
	 * @param environment the environment this process was started with
	 * @param os the operating system
	 * @return the state
	 */
	static ProcessState read(Map<String, String> environment, Os os) {
		long pid = os.processes().pid();
		Instant startedAt = ProcessHandle.current().info().startInstant().orElseGet(Instant::now);
		ParentLink parentLink = readParentLink(environment, os);
		Generation generation = (parentLink != null)
				? new Generation(intValue(environment, Handshake.GENERATION), pid, parentLink.parentPid(), startedAt,
						Instant.ofEpochMilli(longValue(environment, Handshake.ORIGINAL_START)))
				: new Generation(1, pid, null, startedAt, startedAt);
		ListenFds fds;
		ListenerHandoverException failure = null;
		try {
			fds = ListenFds.parse(environment, pid, (fd) -> inspectPassed(os, fd));
			if (fds.ignoredReason() != null) {
				logger.info("Ignoring the socket-activation variables: " + fds.ignoredReason()
						+ "; listeners will be bound anew");
			}
			for (InheritedFd fd : fds.fds()) {
				logger.info("Passed " + fd.describe());
				markCloseOnExec(os.fds(), fd);
			}
		}
		catch (ListenerHandoverException ex) {
			fds = ListenFds.none();
			failure = ex;
		}
		scrub(os.environment());
		Listeners listeners = new Listeners(fds, new NativeListenerSockets(os), parentLink == null);
		return new ProcessState(generation, listeners, failure, parentLink);
	}

	/**
	 * An fd that has close-on-exec set now cannot have come through the exec that started
	 * this JVM: the JVM opened it. That happens when {@code LISTEN_FDS} counts more fds
	 * than were passed.
	 */
	static SocketInfo inspectPassed(Os os, int fd) throws IOException {
		if (os.fds().isOpen(fd) && os.fds().isCloseOnExec(fd)) {
			throw new NotAListenerException(fd, "fd " + fd + " was not passed to this process (it is one the JVM "
					+ "opened itself): LISTEN_FDS counts more descriptors than were passed");
		}
		return os.sockets().inspectListener(fd);
	}

	/**
	 * Our own handover variables are believed only when the handshake descriptor is a
	 * socket whose peer is the pid they name: forged or stale ones are ignored with a
	 * warning, and this process starts as generation 1.
	 */
	private static ParentLink readParentLink(Map<String, String> environment, Os os) {
		String fdValue = environment.get(Handshake.HANDSHAKE_FD);
		if (fdValue == null) {
			return null;
		}
		try {
			int fd = Integer.parseInt(fdValue.trim());
			long parentPid = Long.parseLong(environment.getOrDefault(Handshake.PARENT_PID, "").trim());
			int generation = intValue(environment, Handshake.GENERATION);
			longValue(environment, Handshake.ORIGINAL_START);
			if (fd < ListenFds.FIRST_FD || generation < 2 || parentPid <= 1) {
				throw new NumberFormatException(Handshake.HANDSHAKE_FD + "=" + fd + ", " + Handshake.GENERATION + "="
						+ generation + ", " + Handshake.PARENT_PID + "=" + parentPid);
			}
			if (!os.sockets().isUnixSocket(fd)) {
				throw new IOException("fd " + fd + " is not a Unix-domain socket");
			}
			int peer = os.sockets().peerPid(fd);
			if (peer != parentPid) {
				logger.warn("Ignoring the handover variables: fd " + fd + " belongs to pid " + peer + ", not to "
						+ Handshake.PARENT_PID + "=" + parentPid + "; starting as generation 1");
				return null;
			}
			os.fds().setCloseOnExec(fd, true);
			return new ParentLink(os, fd, parentPid);
		}
		catch (NumberFormatException ex) {
			logger.warn("Ignoring malformed handover variables (" + ex.getMessage() + "); starting as generation 1");
		}
		catch (IOException ex) {
			logger.warn("Ignoring the handover variables: " + Handshake.HANDSHAKE_FD + "=" + fdValue
					+ " is not a handshake socket (" + ex.getMessage() + "); starting as generation 1");
		}
		return null;
	}

	private static int intValue(Map<String, String> environment, String name) {
		return Integer.parseInt(environment.getOrDefault(name, "").trim());
	}

	private static long longValue(Map<String, String> environment, String name) {
		return Long.parseLong(environment.getOrDefault(name, "").trim());
	}

	ParentLink parentLink() {
		return this.parentLink;
	}

	private static void markCloseOnExec(Fds fds, InheritedFd fd) {
		if (fd.usable()) {
			try {
				fds.setCloseOnExec(fd.fd(), true);
			}
			catch (IOException ex) {
				logger.warn("Unable to mark passed fd " + fd.fd() + " close-on-exec: " + ex.getMessage());
			}
		}
	}

	private static void scrub(ProcessEnvironment environment) {
		try {
			environment.scrub(Handshake.VARIABLES);
		}
		catch (IOException | RuntimeException ex) {
			logger.warn("Unable to remove " + Handshake.VARIABLES + " from the environment: " + ex.getMessage());
		}
	}

	Generation generation() {
		return this.generation;
	}

	/**
	 * Return the listener registry.
	 * @return the registry
	 * @throws ListenerHandoverException if the passed listeners were malformed
	 */
	Listeners listeners() {
		if (this.failure != null) {
			throw this.failure;
		}
		return this.listeners;
	}

}
