package io.zerodowntime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A PID file that is never seen half-written: the pid goes to a temporary file in the
 * same directory, created with mode 0644 (so no other user can rewrite it), and is
 * renamed over the target. A rename replaces a symbolic link planted at the target rather
 * than writing through it.
 */
final class PidFile {

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
	 * Write a pid, atomically, creating the directory if it is missing (it may have been
	 * deleted, {@code /run/<app>} by a cleanup for example).
	 * @param pid the pid
	 * @throws IOException if it cannot be written; the message names the PID file, the
	 * system's error text and the step that failed, for example
	 * {@code Unable to write PID file /run/app/app.pid: Read-only file system (creating a
	 * temporary file in /run/app)}
	 */
	public void write(long pid) throws IOException {
		Path directory = this.path.getParent();
		String step = "creating the directory " + directory;
		Path temp = null;
		try {
			try {
				Files.createDirectories(directory);
			}
			catch (FileAlreadyExistsException ex) {
				throw new NotDirectoryException(ex.getFile());
			}
			step = "creating a temporary file in " + directory;
			temp = Files.createTempFile(directory, "." + this.path.getFileName(), ".tmp",
					PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
			step = "writing " + temp;
			Files.writeString(temp, pid + "\n", StandardCharsets.US_ASCII);
			step = "renaming " + temp + " to " + this.path;
			Files.move(temp, this.path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
			temp = null;
		}
		catch (IOException ex) {
			throw new IOException("Unable to write PID file " + this.path + ": " + errorText(ex) + " (" + step + ")",
					ex);
		}
		finally {
			if (temp != null) {
				try {
					Files.deleteIfExists(temp);
				}
				catch (IOException ex) {
					// the write failed already, and that is what is reported
				}
			}
		}
	}

	/**
	 * The system's text for a failed file operation ({@code strerror}), as NIO reports
	 * it.
	 */
	static String errorText(IOException ex) {
		if (ex instanceof AtomicMoveNotSupportedException) {
			return "its directory does not support an atomic rename";
		}
		if (ex instanceof FileSystemException failure && failure.getReason() != null) {
			return failure.getReason();
		}
		if (ex instanceof AccessDeniedException) {
			return "Permission denied";
		}
		if (ex instanceof NoSuchFileException) {
			return "No such file or directory";
		}
		if (ex instanceof NotDirectoryException) {
			return "Not a directory";
		}
		if (ex instanceof FileAlreadyExistsException) {
			return "File exists";
		}
		if (ex instanceof DirectoryNotEmptyException) {
			return "Directory not empty";
		}
		return (ex.getMessage() != null) ? ex.getMessage() : ex.getClass().getSimpleName();
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
