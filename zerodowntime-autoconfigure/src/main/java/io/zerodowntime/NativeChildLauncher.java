package io.zerodowntime;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Starts a new generation natively: {@code posix_spawn} through a double fork (see
 * {@link Handshake#OUTER_SCRIPT}), passing stdio, the listeners from fd 3 and the
 * handshake socket after them, and nothing else. The new generation starts in the logical
 * working directory ({@link NextRelease}), with {@code PWD} naming it, and gets this
 * process's command line and environment byte for byte ({@link ByteStrings}), but for the
 * handover variables, which are replaced.
 */
final class NativeChildLauncher implements ChildLauncher {

	private static final Path ENVIRON = Path.of("/proc/self/environ");

	private final Fds fds;

	private final Sockets sockets;

	private final Processes processes;

	private final Os os;

	private final NextRelease release;

	private final Generation generation;

	NativeChildLauncher(Os os, NextRelease release, Generation generation) {
		this.os = os;
		this.fds = os.fds();
		this.sockets = os.sockets();
		this.processes = os.processes();
		this.release = release;
		this.generation = generation;
	}

	@Override
	public Child launch(List<ListenerHandle> listeners, int nextGeneration) throws IOException {
		List<String> command = this.release.command();
		String directory = this.release.directory().path();
		checkExecutable(command.get(0), directory);
		int[] pair = this.sockets.socketPair();
		int parentEnd = pair[0];
		int childEnd = pair[1];
		try {
			int[] passFds = new int[listeners.size() + 1];
			for (int i = 0; i < listeners.size(); i++) {
				passFds[i] = listeners.get(i).fd();
			}
			passFds[listeners.size()] = childEnd;
			int handshakeFd = ListenFds.FIRST_FD + listeners.size();
			List<String> argv = new ArrayList<>(List.of("/bin/sh", "-c", Handshake.OUTER_SCRIPT, "zerodowntime-launch",
					Handshake.innerScript(handshakeFd)));
			argv.addAll(command);
			List<String> env = environment(listeners, nextGeneration, handshakeFd, directory);
			int launcherPid;
			try {
				launcherPid = this.processes.spawn(argv, env, directory, passFds);
			}
			catch (DescriptorTableGrewException ex) {
				this.fds.close(childEnd);
				childEnd = -1;
				throw new IOException(ex.getMessage() + stopInnerShell(parentEnd), ex);
			}
			this.fds.close(childEnd);
			childEnd = -1;
			// the outer shell exits as soon as it has started the inner one in the
			// background
			this.processes.waitpid(launcherPid, false);
			return new NativeChild(this.os, parentEnd);
		}
		catch (IOException | RuntimeException ex) {
			closeQuietly(parentEnd);
			closeQuietly(childEnd);
			throw ex;
		}
	}

	@Override
	public void warmUp() {
		try {
			this.release.buildCommandQuietly();
			environment(List.of(), 2, ListenFds.FIRST_FD, this.release.directory().path());
			int[] pair = this.sockets.socketPair();
			this.sockets.peerPid(pair[0]);
			this.fds.setCloseOnExec(pair[0], true);
			this.fds.writeFully(pair[1], new byte[] { '\n' });
			this.fds.read(pair[0], new byte[1], 0, 1);
			this.fds.close(pair[0]);
			this.fds.close(pair[1]);
			this.processes.isAlive((int) this.generation.pid());
			int pid = this.processes.spawn(List.of("/bin/true"), List.of(), null, new int[0]);
			this.processes.waitpid(pid, false);
		}
		catch (IOException | RuntimeException ex) {
			org.apache.commons.logging.LogFactory.getLog(NativeChildLauncher.class)
				.warn("Unable to prepare the upgrade path: " + ex.getMessage());
		}
	}

	/**
	 * This process's environment as the kernel holds it ({@code /proc/self/environ}, in
	 * byte form and in its order), without the handover variables (scrubbed there
	 * already, unless that failed) and with {@code PWD} naming the directory the next
	 * generation starts in (so it keeps the logical path, and a shell on the way keeps it
	 * too); then the handover variables for the next generation.
	 */
	private List<String> environment(List<ListenerHandle> listeners, int nextGeneration, int handshakeFd,
			String directory) throws IOException {
		List<String> env = new ArrayList<>();
		List<String> current;
		try {
			current = ByteStrings.readEntries(ENVIRON, true);
		}
		catch (IOException ex) {
			throw new IOException("Unable to read this process's environment from " + ENVIRON + ": " + ex.getMessage(),
					ex);
		}
		boolean pwd = false;
		for (String entry : current) {
			int equals = entry.indexOf('=');
			String name = (equals >= 0) ? entry.substring(0, equals) : entry;
			if (name.equals("PWD")) {
				if (!pwd) {
					env.add("PWD=" + directory);
					pwd = true;
				}
			}
			else if (!Handshake.VARIABLES.contains(name)) {
				env.add(entry);
			}
		}
		if (!pwd) {
			env.add("PWD=" + directory);
		}
		env.add(Handshake.LISTEN_FDS + "=" + listeners.size());
		env.add(Handshake.LISTEN_FDNAMES + "="
				+ listeners.stream().map(ListenerHandle::name).collect(Collectors.joining(":")));
		env.add(Handshake.HANDSHAKE_FD + "=" + handshakeFd);
		env.add(Handshake.GENERATION + "=" + nextGeneration);
		env.add(Handshake.PARENT_PID + "=" + this.generation.pid());
		env.add(Handshake.ORIGINAL_START + "=" + this.generation.originalStartedAt().toEpochMilli());
		return env;
	}

	/**
	 * After the outer shell was killed: an inner one it forked before that reports its
	 * pid on the handshake (or the handshake ends, all its ends closed); kill it before
	 * it can become a generation.
	 */
	private String stopInnerShell(int parentEnd) {
		StringBuilder line = new StringBuilder();
		byte[] buffer = new byte[1];
		try {
			while (this.fds.read(parentEnd, buffer, 0, 1) == 1 && buffer[0] != '\n') {
				line.append((char) (buffer[0] & 0xff));
			}
			String prefix = Handshake.PID + " ";
			if (line.toString().startsWith(prefix)) {
				int pid = Integer.parseInt(line.substring(prefix.length()).trim());
				this.processes.kill(pid, Processes.SIGKILL);
				return "; so was the shell it had started (pid " + pid + ")";
			}
			return "";
		}
		catch (IOException | RuntimeException ex) {
			return "; the shell it may have started could not be stopped: " + ex.getMessage();
		}
	}

	private static void checkExecutable(String command, String directory) throws IOException {
		String program = ByteStrings.toText(command);
		if (command.contains("/")) {
			Path given = ByteStrings.toPath(command);
			if (given == null) {
				// a name the JDK cannot look up; the spawn will tell
				return;
			}
			Path dir = ByteStrings.toPath(directory);
			Path path = (dir != null) ? dir.resolve(given) : given;
			if (!Files.exists(path)) {
				throw new IOException("Unable to start the next generation: " + program + " does not exist");
			}
			if (!Files.isExecutable(path) || Files.isDirectory(path)) {
				throw new IOException("Unable to start the next generation: " + program + " is not executable");
			}
			return;
		}
		String pathVariable = System.getenv("PATH");
		// relative PATH entries are searched from the working directory the program
		// starts in
		Path workingDir = ByteStrings.toPath(directory);
		for (String dir : (pathVariable != null) ? pathVariable.split(File.pathSeparator) : new String[0]) {
			Path entry = Path.of(dir.isEmpty() ? "." : dir);
			Path candidate = ((workingDir != null) ? workingDir.resolve(entry) : entry).resolve(program);
			if (Files.isExecutable(candidate) && !Files.isDirectory(candidate)) {
				return;
			}
		}
		throw new IOException("Unable to start the next generation: " + program + " is not on the PATH");
	}

	private void closeQuietly(int fd) {
		if (fd >= 0) {
			try {
				this.fds.close(fd);
			}
			catch (IOException ex) {
				// nothing left to release
			}
		}
	}

}
