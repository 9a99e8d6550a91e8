package io.zerodowntime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A PID file that is never seen half-written: the pid goes to a temporary file in the same
 * directory, created with mode 0644 (so no other user can rewrite it), and is renamed over
 * the target. A rename replaces a symbolic link planted at the target rather than writing
 * through it.
 *
 * @since 0.1.0
 */
public final class PidFile {

	private final Path path;

	/**
	 * Create a PID file at a path.
	 * @param path where it lives
	 */
	public PidFile(Path path) {
		this.path = path.toAbsolutePath();
	}

	Path path() {
		return this.path;
	}

	/**
	 * Write a pid, atomically.
	 * @param pid the pid
	 * @throws IOException if it cannot be written
	 */
	public void write(long pid) throws IOException {
		Path directory = this.path.getParent();
		Files.createDirectories(directory);
		Path temp = Files.createTempFile(directory, "." + this.path.getFileName(), ".tmp",
				PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
		try {
			Files.writeString(temp, pid + "\n", StandardCharsets.US_ASCII);
			try {
				Files.move(temp, this.path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
			}
			catch (AtomicMoveNotSupportedException ex) {
				throw new IOException("Unable to write PID file " + this.path + ": its directory does not support "
						+ "an atomic rename", ex);
			}
		}
		finally {
			Files.deleteIfExists(temp);
		}
	}

	/**
	 * Remove the file if it still names a pid (a newer generation may own it by now).
	 * @param pid the pid
	 * @throws IOException if it cannot be read or removed
	 */
	public void deleteIfOwnedBy(long pid) throws IOException {
		if (Files.isRegularFile(this.path, LinkOption.NOFOLLOW_LINKS)) {
			String content = Files.readString(this.path, StandardCharsets.US_ASCII).trim();
			if (content.equals(Long.toString(pid))) {
				Files.delete(this.path);
			}
		}
	}

}
