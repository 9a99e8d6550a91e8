package io.zerodowntime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * The new generation's handle on the one that started it, over the handshake socket:
 * reports ready or failed, and learns when the old generation has exited (end of stream),
 * after which this generation may itself be upgraded.
 */
final class ParentLink {

	private static final Log logger = LogFactory.getLog(ParentLink.class);

	private final NativePosix posix;

	private final int fd;

	private final long parentPid;

	private volatile boolean parentExited;

	private volatile boolean reported;

	ParentLink(NativePosix posix, int fd, long parentPid) {
		this.posix = posix;
		this.fd = fd;
		this.parentPid = parentPid;
		Thread watcher = new Thread(this::watchParent, "zerodowntime-parent-watch");
		watcher.setDaemon(true);
		// not the web application's class loader: Tomcat warns about threads it cannot stop
		watcher.setContextClassLoader(ParentLink.class.getClassLoader());
		watcher.start();
	}

	private void watchParent() {
		byte[] buffer = new byte[64];
		try {
			while (this.posix.read(this.fd, buffer, 0, buffer.length) > 0) {
				logger.warn("Ignoring unexpected data from the previous generation (pid " + this.parentPid + ")");
			}
		}
		catch (IOException ex) {
			logger.debug("Handshake with the previous generation ended: " + ex.getMessage());
		}
		this.parentExited = true;
		logger.info("Previous generation (pid " + this.parentPid + ") has exited");
	}

	long parentPid() {
		return this.parentPid;
	}

	boolean parentExited() {
		return this.parentExited;
	}

	void reportReady() {
		report(Handshake.READY);
	}

	void reportFailed(String reason) {
		String oneLine = (reason != null) ? reason.replaceAll("[\\r\\n]+", " ") : "unknown";
		report(Handshake.FAILED + " " + oneLine);
	}

	private synchronized void report(String line) {
		if (this.reported) {
			return;
		}
		this.reported = true;
		try {
			this.posix.writeFully(this.fd, (line + "\n").getBytes(StandardCharsets.UTF_8));
		}
		catch (IOException ex) {
			logger.warn("Unable to tell the previous generation (pid " + this.parentPid + ") '" + line + "': "
					+ ex.getMessage());
		}
	}

}
