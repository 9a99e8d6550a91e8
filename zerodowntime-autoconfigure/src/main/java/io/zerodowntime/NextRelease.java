package io.zerodowntime;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * What the next generation starts from: the command (this JVM's own or the configured
 * one), in the logical working directory ({@link WorkingDirectory}), with the jar path as
 * given, so a {@code current} symbolic link switched to a new release is followed. Before
 * each upgrade it says why that cannot work, if it cannot: the directory is gone, the jar
 * this generation runs from was overwritten in place ({@link ReleaseFile}), or the next
 * generation's jar is missing.
 */
final class NextRelease {

	private static final Log logger = LogFactory.getLog(NextRelease.class);

	private final Command command;

	private final WorkingDirectory directory;

	private final ReleaseFile running;

	private final WorkingDirectory.Lookup files;

	private Prepared prepared;

	NextRelease(Command command, WorkingDirectory directory, ReleaseFile running, WorkingDirectory.Lookup files) {
		this.command = command;
		this.directory = directory;
		this.running = running;
		this.files = files;
	}

	/**
	 * Read this process: its command line, {@code $PWD} and {@code user.dir}, and in
	 * generation 1 of a systemd service with no logical directory there, its unit's
	 * {@code WorkingDirectory=} ({@link ServiceWorkingDirectory}). What cannot be read
	 * counts as absent (the working directory is then {@code user.dir}); the launch reads
	 * the command line again and reports the error.
	 * @param configuredCommand the configured command (text), empty for this JVM's own
	 * @param generation this generation's number
	 * @return the next release
	 */
	static NextRelease ofThisProcess(List<String> configuredCommand, int generation) {
		List<String> command;
		Map<String, String> environment = new HashMap<>();
		try {
			command = CommandLine.current();
			for (String entry : ByteStrings.readEntries(Path.of("/proc/self/environ"), true)) {
				int equals = entry.indexOf('=');
				if (equals > 0) {
					environment.put(entry.substring(0, equals), entry.substring(equals + 1));
				}
			}
		}
		catch (IOException ex) {
			command = List.of();
		}
		String userDir = System.getProperty("user.dir");
		WorkingDirectory.Lookup files = WorkingDirectory.Lookup.FILE_SYSTEM;
		WorkingDirectory directory = WorkingDirectory.choose(ByteStrings.fromText(userDir), environment.get("PWD"),
				command, files);
		// systemd sets no PWD: generation 1 of a service asks the service manager
		directory = ServiceWorkingDirectory.ofThisProcess(environment)
			.choose(directory, generation, files, logger::warn);
		List<String> configured = List.copyOf(configuredCommand);
		return new NextRelease((dir, warn) -> CommandLine.forNextGeneration(configured, dir, warn), directory,
				ReleaseFile.of(command, Path.of(userDir)), files);
	}

	/**
	 * Build the command of the next generation for the upgrade about to start: the
	 * refusal check ({@link #problem()}), the log line ({@link #describe()}) and the
	 * launch ({@link #command()}) use this one until the launch takes it.
	 */
	synchronized void prepare() {
		List<String> warnings = new java.util.ArrayList<>();
		try {
			this.prepared = new Prepared(this.command.get(ByteStrings.toPath(this.directory.path()), warnings::add),
					null, warnings);
		}
		catch (IOException ex) {
			this.prepared = new Prepared(null, ex, warnings);
		}
	}

	/**
	 * Return the command of the next generation: the one {@link #prepare() prepared} for
	 * this upgrade, else built now; says (once) why a class-data archive it names is not
	 * used.
	 * @return the command, in byte form
	 * @throws IOException if this JVM's command line cannot be read
	 */
	List<String> command() throws IOException {
		Prepared taken;
		synchronized (this) {
			taken = this.prepared;
			this.prepared = null;
		}
		if (taken == null) {
			return this.command.get(ByteStrings.toPath(this.directory.path()), logger::warn);
		}
		taken.warnings().forEach(logger::warn);
		if (taken.failure() != null) {
			throw taken.failure();
		}
		return taken.command();
	}

	/**
	 * Build the command of the next generation without telling anyone about an archive it
	 * cannot use, to load and link that path ahead of an upgrade.
	 * @throws IOException if this JVM's command line cannot be read
	 */
	void buildCommandQuietly() throws IOException {
		quietCommand();
	}

	private List<String> quietCommand() throws IOException {
		synchronized (this) {
			if (this.prepared != null) {
				if (this.prepared.failure() != null) {
					throw this.prepared.failure();
				}
				return this.prepared.command();
			}
		}
		return this.command.get(ByteStrings.toPath(this.directory.path()), (unusedArchive) -> {
		});
	}

	/**
	 * Return the working directory of the next generation.
	 * @return the directory
	 */
	WorkingDirectory directory() {
		return this.directory;
	}

	/**
	 * Return why the next generation cannot start from this release, or {@code null}.
	 * @return the problem, or {@code null}
	 */
	String problem() {
		String problem = this.directory.problem(this.files);
		if (problem == null && this.running != null) {
			problem = this.running.problem();
		}
		if (problem == null) {
			String jar = jar();
			if (jar != null && this.files.realPath(jar) == null && ByteStrings.toPath(jar) != null) {
				String text = ByteStrings.toText(jar);
				problem = "the application jar " + text + " is missing; deploy the new release there by atomic "
						+ "rename (cp new.jar " + text + ".tmp && mv " + text + ".tmp " + text + "), or as a new "
						+ "release directory behind a switched symbolic link, then upgrade again";
			}
		}
		return problem;
	}

	/**
	 * Describe, for the log, where the next generation starts and from which jar.
	 * @return the description
	 */
	String describe() {
		StringBuilder description = new StringBuilder("in ").append(this.directory.describe(this.files));
		String jar = jar();
		if (jar != null) {
			String text = ByteStrings.toText(jar);
			String real = this.files.realPath(jar);
			description.append(" from ").append(text);
			if (real != null && !real.equals(text)) {
				description.append(" (now ").append(real).append(')');
			}
		}
		return description.toString();
	}

	/** The next generation's jar, absolute, in byte form; {@code null} if it has none. */
	private String jar() {
		List<String> command;
		try {
			// the launch says why an archive is not used, once per upgrade
			command = quietCommand();
		}
		catch (IOException ex) {
			return null;
		}
		int index = command.indexOf("-jar");
		if (index < 0 || index + 1 >= command.size()) {
			return null;
		}
		String jar = command.get(index + 1);
		if (jar.startsWith("/")) {
			return jar;
		}
		String dir = this.directory.path();
		return dir.endsWith("/") ? dir + jar : dir + "/" + jar;
	}

	/**
	 * A command built for one upgrade, or why it could not be, with what the launch will
	 * say.
	 */
	private record Prepared(List<String> command, IOException failure, List<String> warnings) {
	}

	/** The command of the next generation, built anew at each upgrade. */
	@FunctionalInterface
	interface Command {

		/**
		 * Return the command.
		 * @param directory the working directory it runs in
		 * @param warn told why a class-data archive it names is not used
		 * @return the command, in byte form
		 * @throws IOException if it cannot be built
		 */
		List<String> get(Path directory, Consumer<String> warn) throws IOException;

	}

}
