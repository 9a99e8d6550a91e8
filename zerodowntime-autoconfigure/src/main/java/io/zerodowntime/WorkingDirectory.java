package io.zerodowntime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The directory the next generation starts in: the path the operator gave, not the one
 * the kernel resolved. A JVM started in {@code /opt/app/current}, a symbolic link to
 * {@code releases/r1}, has {@code user.dir} = {@code /opt/app/releases/r1}; starting the
 * next generation there after {@code current} was switched to {@code r2} would run the
 * old release again. So the logical directory is kept, in byte form
 * ({@link ByteStrings}): the first of {@code $PWD} and the directory of an absolute
 * {@code -jar} path that names the same directory (device and inode) as {@code user.dir}
 * at startup, else, in generation 1 of a systemd service, the unit's
 * {@code WorkingDirectory=} ({@link ServiceWorkingDirectory}), else {@code user.dir}. It
 * is looked up again at each upgrade, so a symbolic link switched since, or a directory
 * deleted and created anew, is followed; one that no longer exists refuses the upgrade.
 */
final class WorkingDirectory {

	private final String path;

	private final String physical;

	private final String source;

	WorkingDirectory(String path, String physical, String source) {
		this.path = path;
		this.physical = physical;
		this.source = source;
	}

	/**
	 * Choose the logical working directory.
	 * @param physical this JVM's working directory at startup ({@code user.dir}), in byte
	 * form
	 * @param pwd the value of {@code PWD} in this process's environment, in byte form, or
	 * {@code null}
	 * @param command this JVM's command line, in byte form
	 * @param files how paths are looked up
	 * @return the working directory
	 */
	static WorkingDirectory choose(String physical, String pwd, List<String> command, Lookup files) {
		Object here = files.directoryKey(physical);
		if (here != null) {
			for (String[] candidate : candidates(pwd, command)) {
				if (here.equals(files.directoryKey(candidate[0]))) {
					return new WorkingDirectory(candidate[0], physical, candidate[1]);
				}
			}
		}
		return new WorkingDirectory(physical, physical, "user.dir");
	}

	private static List<String[]> candidates(String pwd, List<String> command) {
		List<String[]> candidates = new ArrayList<>();
		if (pwd != null && pwd.startsWith("/")) {
			candidates.add(new String[] { trimSlashes(pwd), "$PWD" });
		}
		int jar = command.indexOf("-jar");
		if (jar >= 0 && jar + 1 < command.size() && command.get(jar + 1).startsWith("/")) {
			String path = command.get(jar + 1);
			int slash = path.lastIndexOf('/');
			if (slash > 0) {
				candidates.add(new String[] { trimSlashes(path.substring(0, slash)), "the -jar path" });
			}
		}
		return candidates;
	}

	private static String trimSlashes(String path) {
		String trimmed = path;
		while (trimmed.length() > 1 && trimmed.endsWith("/")) {
			trimmed = trimmed.substring(0, trimmed.length() - 1);
		}
		return trimmed;
	}

	/**
	 * Return the directory, in byte form.
	 * @return the path
	 */
	String path() {
		return this.path;
	}

	/**
	 * Return this JVM's own working directory at startup, in byte form.
	 * @return the path
	 */
	String physical() {
		return this.physical;
	}

	/**
	 * Return where the directory was learnt: {@code $PWD}, {@code the -jar path},
	 * {@code WorkingDirectory= of UNIT} or {@code user.dir}.
	 * @return the source
	 */
	String source() {
		return this.source;
	}

	/**
	 * Return why the next generation cannot start in this directory, or {@code null}.
	 * @param files how paths are looked up
	 * @return the problem, or {@code null}
	 */
	String problem(Lookup files) {
		if (files.directoryKey(this.path) != null || ByteStrings.toPath(this.path) == null) {
			// there, or a path the JDK cannot name: the spawn itself will tell
			return null;
		}
		String text = ByteStrings.toText(this.path);
		String fix = this.path.equals(this.physical)
				? "create it again (mkdir -p " + text + ", with what the " + "application reads from it)" : "point "
						+ text + " at the release to run again (ln -sfn " + "releases/NEW " + text + ") or create it";
		return "the working directory of the next generation, " + text + ", no longer exists (deleted while this "
				+ "generation runs, e.g. an old release cleaned up); " + fix + ", then upgrade again; this "
				+ "generation keeps serving";
	}

	/**
	 * Describe the directory for the log: its path, and what it resolves to now when that
	 * differs.
	 * @param files how paths are looked up
	 * @return the description
	 */
	String describe(Lookup files) {
		String text = ByteStrings.toText(this.path);
		String real = files.realPath(this.path);
		return (real == null || real.equals(text)) ? text : text + " (now " + real + ")";
	}

	@Override
	public String toString() {
		return ByteStrings.toText(this.path) + " (from " + this.source + ")";
	}

	/** How paths in byte form are looked up: the file system, or a fake in tests. */
	interface Lookup {

		/**
		 * Return what identifies a directory (device and inode), following symbolic
		 * links.
		 * @param path the path, in byte form
		 * @return the key, or {@code null} if it is not an existing directory
		 */
		Object directoryKey(String path);

		/**
		 * Return the path with every symbolic link resolved, as text.
		 * @param path the path, in byte form
		 * @return the real path, or {@code null} if it does not exist
		 */
		String realPath(String path);

		/** The file system, through the JDK (paths the platform charset can name). */
		Lookup FILE_SYSTEM = new Lookup() {

			@Override
			public Object directoryKey(String path) {
				Path file = ByteStrings.toPath(path);
				if (file == null || !Files.isDirectory(file)) {
					return null;
				}
				try {
					Map<String, Object> attributes = Files.readAttributes(file, "unix:dev,ino");
					return List.of(attributes.get("dev"), attributes.get("ino"));
				}
				catch (IOException | RuntimeException ex) {
					return null;
				}
			}

			@Override
			public String realPath(String path) {
				Path file = ByteStrings.toPath(path);
				try {
					return (file != null) ? file.toRealPath().toString() : null;
				}
				catch (IOException | RuntimeException ex) {
					return null;
				}
			}

		};

	}

}
