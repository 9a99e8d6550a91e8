package io.zerodowntime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;

/**
 * The jar this JVM runs from ({@code java -jar PATH}), as it was at startup, by its real
 * path (every symbolic link resolved: {@code current/app.jar} is recorded as
 * {@code releases/r1/app.jar}). A new release must replace it by rename (a new inode) or
 * come as a new directory behind a switched symbolic link; a jar overwritten in place
 * keeps the inode but changes under the running JVM, which loads classes from it lazily
 * and breaks (measured). An upgrade is refused in that case, with a message saying how to
 * deploy. The jar deleted (an old release cleaned up) is no problem for this JVM, which
 * holds it open; whether the next generation finds its jar is {@link NextRelease}'s
 * check.
 */
final class ReleaseFile {

	private final Path path;

	private final Object inode;

	private final long size;

	private final FileTime modified;

	private ReleaseFile(Path path, Object inode, long size, FileTime modified) {
		this.path = path;
		this.inode = inode;
		this.size = size;
		this.modified = modified;
	}

	/**
	 * Record the jar of a command line, if it has one.
	 * @param command the command line, in byte form ({@link ByteStrings})
	 * @param workingDirectory what a relative jar path is relative to: this JVM's own
	 * working directory
	 * @return the jar as it is now, or {@code null} when the command has no {@code -jar}
	 * or the jar cannot be read
	 */
	static ReleaseFile of(List<String> command, Path workingDirectory) {
		int jar = command.indexOf("-jar");
		if (jar < 0 || jar + 1 >= command.size()) {
			return null;
		}
		Path given = ByteStrings.toPath(command.get(jar + 1));
		if (given == null) {
			return null;
		}
		try {
			Path path = workingDirectory.resolve(given).toRealPath();
			Map<String, Object> attributes = Files.readAttributes(path, "unix:ino,size,lastModifiedTime");
			return new ReleaseFile(path, attributes.get("ino"), (Long) attributes.get("size"),
					(FileTime) attributes.get("lastModifiedTime"));
		}
		catch (IOException | RuntimeException ex) {
			return null;
		}
	}

	/**
	 * Return the real path of the jar.
	 * @return the path
	 */
	Path path() {
		return this.path;
	}

	/**
	 * Return why the jar must not be used for an upgrade, or {@code null} when it may.
	 * @return the problem, or {@code null}
	 */
	String problem() {
		try {
			if (!Files.exists(this.path, LinkOption.NOFOLLOW_LINKS)) {
				return null;
			}
			Map<String, Object> now = Files.readAttributes(this.path, "unix:ino,size,lastModifiedTime",
					LinkOption.NOFOLLOW_LINKS);
			boolean sameFile = this.inode.equals(now.get("ino"));
			boolean changed = this.size != (Long) now.get("size") || !this.modified.equals(now.get("lastModifiedTime"));
			if (sameFile && changed) {
				return "the application jar " + this.path + " was overwritten in place while this generation runs "
						+ "from it; deploy by atomic rename instead (cp new.jar " + this.path + ".tmp && mv "
						+ this.path + ".tmp " + this.path + "), or as a new release directory behind a switched "
						+ "symbolic link, then upgrade again. Restart this generation soon: classes it has not loaded "
						+ "yet may now fail to load";
			}
			return null;
		}
		catch (IOException | RuntimeException ex) {
			return "the application jar " + this.path + " cannot be read: " + ex.getMessage();
		}
	}

}
