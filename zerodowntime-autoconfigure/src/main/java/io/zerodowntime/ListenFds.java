package io.zerodowntime;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The listeners passed to this process by the socket-activation convention of systemd
 * ({@code sd_listen_fds(3)}): {@code LISTEN_FDS} descriptors starting at 3, meant for the
 * process named by {@code LISTEN_PID}, optionally named by the colon-separated
 * {@code LISTEN_FDNAMES}. systemd socket units, {@code systemd-socket-activate} and our
 * own handover to a new generation all use it.
 *
 * <p>
 * As {@code sd_listen_fds} does, variables meant for another process (or with no
 * {@code LISTEN_PID}) are ignored: {@link #ignoredReason()} says why. Variables meant for
 * this process but malformed are an error ({@link ListenerHandoverException}): serving on
 * a guessed socket would be worse than not starting.
 */
final class ListenFds {

	/** The first passed descriptor, {@code SD_LISTEN_FDS_START}. */
	static final int FIRST_FD = 3;

	/** More than this many passed listeners is taken for garbage, not a real handover. */
	static final int MAX_FDS = 1024;

	private static final ListenFds NONE = new ListenFds(List.of(), null);

	private final List<InheritedFd> fds;

	private final String ignoredReason;

	private ListenFds(List<InheritedFd> fds, String ignoredReason) {
		this.fds = fds;
		this.ignoredReason = ignoredReason;
	}

	/** Return the passed descriptors, in fd order. */
	List<InheritedFd> fds() {
		return this.fds;
	}

	/** Return why variables that were present were ignored, or {@code null}. */
	String ignoredReason() {
		return this.ignoredReason;
	}

	static ListenFds none() {
		return NONE;
	}

	/**
	 * Read the variables from an environment.
	 * @param environment the process environment
	 * @param pid this process's pid
	 * @param inspector tells what each passed fd is
	 * @return the passed listeners, possibly none
	 * @throws ListenerHandoverException if the variables are meant for this process but
	 * malformed
	 */
	static ListenFds parse(Map<String, String> environment, long pid, ListenerInspector inspector) {
		String listenFds = environment.get(Handshake.LISTEN_FDS);
		String listenPid = environment.get(Handshake.LISTEN_PID);
		String listenFdNames = environment.get(Handshake.LISTEN_FDNAMES);
		if (listenFds == null) {
			return (listenPid == null && listenFdNames == null) ? NONE
					: new ListenFds(List.of(), "LISTEN_PID/LISTEN_FDNAMES are set but LISTEN_FDS is not");
		}
		if (listenPid == null) {
			return new ListenFds(List.of(), "LISTEN_FDS is set but LISTEN_PID is not, so they are not meant for us");
		}
		long targetPid = parsePid(listenPid.trim());
		if (targetPid != pid) {
			return new ListenFds(List.of(),
					"LISTEN_PID=" + listenPid + " names another process (this is pid " + pid + ")");
		}
		int count = parseCount(listenFds.trim());
		List<String> names = parseNames(listenFdNames, count);
		List<InheritedFd> fds = new ArrayList<>(count);
		for (int i = 0; i < count; i++) {
			int fd = FIRST_FD + i;
			String name = (names != null) ? names.get(i) : null;
			try {
				fds.add(new InheritedFd(fd, name, inspector.inspect(fd), null));
			}
			catch (IOException ex) {
				fds.add(new InheritedFd(fd, name, null, ex.getMessage()));
			}
		}
		return new ListenFds(Collections.unmodifiableList(fds), null);
	}

	private static long parsePid(String value) {
		try {
			long pid = Long.parseLong(value);
			if (pid > 0) {
				return pid;
			}
		}
		catch (NumberFormatException ex) {
			// fall through to the error below
		}
		throw new ListenerHandoverException("LISTEN_PID='" + value + "' is not a process id.",
				"Pass listeners the way systemd does: LISTEN_PID is the pid of the process that receives them "
						+ "(set it in the child after fork), or unset LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES.");
	}

	private static int parseCount(String value) {
		String problem;
		try {
			long count = Long.parseLong(value);
			if (count < 0) {
				problem = "is negative";
			}
			else if (count > MAX_FDS) {
				problem = "is more than " + MAX_FDS;
			}
			else {
				return (int) count;
			}
		}
		catch (NumberFormatException ex) {
			problem = "is not a number";
		}
		throw new ListenerHandoverException(
				"LISTEN_FDS='" + value + "' " + problem + ": it must count the listening sockets passed from fd "
						+ FIRST_FD + " on.",
				"Fix whatever starts this process (a systemd .socket unit or systemd-socket-activate sets it "
						+ "correctly), or unset LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES to bind the ports anew.");
	}

	private static List<String> parseNames(String value, int count) {
		if (value == null) {
			return null;
		}
		List<String> names = new ArrayList<>();
		for (String name : value.split(":", -1)) {
			// systemd names an fd it has no name for "unknown"
			names.add((name.isEmpty() || "unknown".equals(name)) ? null : name);
		}
		if (count == 0 && value.isEmpty()) {
			return List.of();
		}
		if (names.size() != count) {
			throw new ListenerHandoverException(
					"LISTEN_FDNAMES='" + value + "' names " + names.size() + " fd(s) but LISTEN_FDS=" + count + ".",
					"Give exactly one colon-separated name per passed fd (systemd: FileDescriptorName= in the "
							+ ".socket unit; systemd-socket-activate: --fdname=), or unset LISTEN_FDNAMES.");
		}
		return names;
	}

}
