package io.zerodowntime;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Starts a new generation natively: {@code posix_spawn} through a double fork (see
 * {@link Handshake#OUTER_SCRIPT}), passing stdio, the listeners from fd 3 and the
 * handshake socket after them, and nothing else.
 */
final class NativeChildLauncher implements ChildLauncher {

	private final NativePosix posix;

	private final List<String> configuredCommand;

	private final Generation generation;

	NativeChildLauncher(NativePosix posix, List<String> configuredCommand, Generation generation) {
		this.posix = posix;
		this.configuredCommand = configuredCommand;
		this.generation = generation;
	}

	@Override
	public Child launch(List<ListenerHandle> listeners, int nextGeneration) throws IOException {
		List<String> command = CommandLine.forNextGeneration(this.configuredCommand);
		checkExecutable(command.get(0));
		int[] pair = this.posix.socketPair();
		int parentEnd = pair[0];
		int childEnd = pair[1];
		try {
			int[] passFds = new int[listeners.size() + 1];
			for (int i = 0; i < listeners.size(); i++) {
				passFds[i] = listeners.get(i).fd();
			}
			passFds[listeners.size()] = childEnd;
			int handshakeFd = ListenFds.FIRST_FD + listeners.size();
			List<String> argv = new ArrayList<>(List.of("/bin/sh", "-c", Handshake.OUTER_SCRIPT,
					"zerodowntime-launch", Handshake.innerScript(handshakeFd)));
			argv.addAll(command);
			List<String> env = environment(listeners, nextGeneration, handshakeFd);
			int launcherPid = this.posix.spawn(argv, env, System.getProperty("user.dir"), passFds);
			this.posix.close(childEnd);
			childEnd = -1;
			// the outer shell exits as soon as it has started the inner one in the background
			this.posix.waitpid(launcherPid, false);
			return new NativeChild(this.posix, parentEnd);
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
			CommandLine.forNextGeneration(this.configuredCommand, (unusedArchive) -> {
			});
			int[] pair = this.posix.socketPair();
			this.posix.peerPid(pair[0]);
			this.posix.setCloseOnExec(pair[0], true);
			this.posix.writeFully(pair[1], new byte[] { '\n' });
			this.posix.read(pair[0], new byte[1], 0, 1);
			this.posix.close(pair[0]);
			this.posix.close(pair[1]);
			this.posix.isAlive((int) this.generation.pid());
			int pid = this.posix.spawn(List.of("/bin/true"), List.of(), null, new int[0]);
			this.posix.waitpid(pid, false);
		}
		catch (IOException | RuntimeException ex) {
			org.apache.commons.logging.LogFactory.getLog(NativeChildLauncher.class)
				.warn("Unable to prepare the upgrade path: " + ex.getMessage());
		}
	}

	private List<String> environment(List<ListenerHandle> listeners, int nextGeneration, int handshakeFd) {
		Map<String, String> env = new java.util.TreeMap<>(System.getenv());
		env.keySet().removeAll(Handshake.VARIABLES);
		env.put(Handshake.LISTEN_FDS, Integer.toString(listeners.size()));
		env.put(Handshake.LISTEN_FDNAMES,
				listeners.stream().map(ListenerHandle::name).collect(Collectors.joining(":")));
		env.put(Handshake.HANDSHAKE_FD, Integer.toString(handshakeFd));
		env.put(Handshake.GENERATION, Integer.toString(nextGeneration));
		env.put(Handshake.PARENT_PID, Long.toString(this.generation.pid()));
		env.put(Handshake.ORIGINAL_START, Long.toString(this.generation.originalStartedAt().toEpochMilli()));
		return env.entrySet().stream().map((e) -> e.getKey() + "=" + e.getValue()).toList();
	}

	private static void checkExecutable(String program) throws IOException {
		if (program.contains("/")) {
			Path path = Path.of(program);
			if (!Files.exists(path)) {
				throw new IOException("Unable to start the next generation: " + program + " does not exist");
			}
			if (!Files.isExecutable(path) || Files.isDirectory(path)) {
				throw new IOException("Unable to start the next generation: " + program + " is not executable");
			}
			return;
		}
		String pathVariable = System.getenv("PATH");
		for (String dir : (pathVariable != null) ? pathVariable.split(File.pathSeparator) : new String[0]) {
			Path candidate = Path.of(dir.isEmpty() ? "." : dir, program);
			if (Files.isExecutable(candidate) && !Files.isDirectory(candidate)) {
				return;
			}
		}
		throw new IOException("Unable to start the next generation: " + program + " is not on the PATH");
	}

	private void closeQuietly(int fd) {
		if (fd >= 0) {
			try {
				this.posix.close(fd);
			}
			catch (IOException ex) {
				// nothing left to release
			}
		}
	}

}
