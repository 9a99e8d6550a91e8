package io.zerodowntime;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * The local control channel: a Unix-domain stream socket at a path
 * ({@code zerodowntime.control-socket}) that starts an upgrade or reports the status,
 * with the same JSON and status codes as {@code POST} and {@code GET /actuator/upgrade},
 * and needs no TLS, no open HTTP endpoint and no token: the file mode decides who may
 * connect (0600, or 0660 with the group the operator names), and each peer's pid and uid
 * are read from the kernel ({@code SO_PEERCRED}) and logged.
 *
 * <p>
 * One request per connection, in either of two forms: a line {@code upgrade} or
 * {@code status}, answered with one line of JSON (for {@code socat}, {@code nc -U}); or
 * an HTTP/1.x request ({@code curl --unix-socket PATH -X POST http://localhost/upgrade},
 * {@code GET /status}), answered with an HTTP response. An upgrade answers when it is
 * over.
 *
 * <p>
 * The path is never unbound while the application runs: each generation binds its socket
 * at a temporary name beside the path and renames it over the path ({@link #publish()})
 * when it is ready, before it tells the previous generation, as HAProxy does with its
 * sockets. Until then the previous generation's socket answers; a connection made to it
 * just before the rename is still served while it drains. A generation that published and
 * then did not take over is covered: the previous one binds its path again
 * ({@link #republishIfReplaced()}). On exit a generation removes the path only if it
 * still names its own socket.
 */
final class ControlSocket implements Closeable {

	private static final Log logger = LogFactory.getLog(ControlSocket.class);

	/** {@code sizeof(sockaddr_un.sun_path)} on Linux, less the terminating NUL. */
	static final int MAX_PATH_BYTES = 107;

	private static final int MAX_CONNECTIONS = 8;

	private static final int MAX_LINE = 8192;

	private static final int MAX_HEADERS = 100;

	private static final int MAX_BODY = 65536;

	private static final int READ_TIMEOUT_MILLIS = 10_000;

	private static final int S_IFMT = 0170000;

	private static final int S_IFSOCK = 0140000;

	private static final Pattern HTTP_REQUEST = Pattern.compile("([A-Z]+) (\\S+) HTTP/1\\.[01]");

	private static final AtomicInteger connections = new AtomicInteger();

	private final Path path;

	private final Path temp;

	private final String group;

	private final Handler handler;

	private final int ownUid;

	private final Sockets sockets;

	private final Semaphore slots = new Semaphore(MAX_CONNECTIONS);

	private final Object lock = new Object();

	private Listener current;

	private boolean published;

	private boolean closed;

	private ControlSocket(Path path, String group, Handler handler, int ownUid, Sockets sockets) {
		this.path = path;
		this.temp = path.resolveSibling("." + path.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
		this.group = group;
		this.handler = handler;
		this.ownUid = ownUid;
		this.sockets = sockets;
	}

	/**
	 * Check the path and bind this generation's control socket beside it, not yet under
	 * its name: {@link #publish()} does that once the generation is ready.
	 * @param path where the socket must be, e.g. {@code /run/app/control.sock}
	 * @param group the group that may connect too (mode 0660), or {@code null} for the
	 * owner only (mode 0600)
	 * @param upgrader the upgrader the commands go to
	 * @return the bound socket
	 * @throws ControlSocketException if the path or group cannot be used, with the fix
	 */
	public static ControlSocket open(Path path, String group, Upgrader upgrader) {
		return open(path, group, !upgrader.generation().hasParent(), new ControlCommands(upgrader));
	}

	static ControlSocket open(Path path, String group, boolean refuseLive, Handler handler) {
		return open(path, group, refuseLive, handler, Os.posix().sockets());
	}

	static ControlSocket open(Path path, String group, boolean refuseLive, Handler handler, Sockets sockets) {
		Path absolute = path.toAbsolutePath().normalize();
		ControlSocket socket = new ControlSocket(absolute, (group != null && !group.isBlank()) ? group.trim() : null,
				handler, ownUid(), sockets);
		socket.checkPath(refuseLive);
		socket.removeStaleTemporaries();
		synchronized (socket.lock) {
			socket.current = socket.bindTemporary();
		}
		return socket;
	}

	/**
	 * Return the path of the socket.
	 * @return the path
	 */
	public Path path() {
		return this.path;
	}

	/**
	 * Rename this generation's socket over the path: from now on every new connection
	 * reaches this generation. Idempotent.
	 * @throws ControlSocketException if the rename fails
	 */
	public void publish() {
		synchronized (this.lock) {
			if (this.closed || this.published) {
				return;
			}
			rename();
			this.published = true;
		}
		// connect once: loads what serving a connection needs now, while the jar is
		// intact
		if (answeringPid(this.path) == null) {
			logger.warn("Control socket " + this.path + " does not answer a test connection");
		}
		logger.info("Control socket " + this.path + " answers 'upgrade' and 'status' (mode "
				+ ((this.group != null) ? "0660, group " + this.group : "0600") + ")");
	}

	/**
	 * Bind the path again when a new generation published its socket there and then did
	 * not take over (it failed or was stopped after the rename), so the path does not
	 * point at a socket nobody answers.
	 */
	public void republishIfReplaced() {
		synchronized (this.lock) {
			if (this.closed || !this.published || Objects.equals(fileKey(this.path), this.current.fileKey)) {
				return;
			}
			Listener replaced = this.current;
			try {
				this.current = bindTemporary();
				rename();
			}
			catch (ControlSocketException ex) {
				logger.error("Unable to bind control socket " + this.path + " again after a failed upgrade: "
						+ ex.getMessage());
				return;
			}
			replaced.close();
		}
		logger.warn("Control socket " + this.path + " was taken over by a generation that did not take over; "
				+ "bound it again");
	}

	/**
	 * Stop answering, and remove the path if it still names this generation's socket (a
	 * generation that handed over leaves its successor's socket alone).
	 */
	@Override
	public void close() {
		synchronized (this.lock) {
			if (this.closed) {
				return;
			}
			this.closed = true;
			Path bound = this.published ? this.path : this.temp;
			try {
				if (Objects.equals(fileKey(bound), this.current.fileKey)) {
					Files.deleteIfExists(bound);
				}
			}
			catch (IOException ex) {
				logger.warn("Unable to remove control socket " + bound + ": " + ex.getMessage());
			}
			this.current.close();
		}
	}

	private void checkPath(boolean refuseLive) {
		String use = "Set zerodowntime.control-socket to a path in a directory of this application, e.g. "
				+ "/run/<app>/control.sock with RuntimeDirectory=<app> in its systemd unit.";
		if (this.temp.toString().getBytes(StandardCharsets.UTF_8).length > MAX_PATH_BYTES) {
			throw new ControlSocketException(
					"Control socket path " + this.path + " is too long: with the "
							+ "temporary name used while binding (" + this.temp.getFileName() + ") it exceeds the "
							+ MAX_PATH_BYTES + " bytes a Unix-domain socket address can hold.",
					"Use a shorter path. " + use, null);
		}
		Path directory = this.path.getParent();
		if (!Files.isDirectory(directory)) {
			try {
				Files.createDirectories(directory);
			}
			catch (IOException ex) {
				throw new ControlSocketException(
						"Unable to create control socket " + this.path + ": directory " + directory
								+ " does not exist and cannot be created (" + ex + ").",
						"Create it, owned by the user the application runs as, or let systemd create it "
								+ "(RuntimeDirectory=). " + use,
						ex);
			}
		}
		BasicFileAttributes attributes;
		int mode;
		int uid;
		try {
			attributes = Files.readAttributes(this.path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
			mode = (Integer) Files.getAttribute(this.path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
			uid = (Integer) Files.getAttribute(this.path, "unix:uid", LinkOption.NOFOLLOW_LINKS);
		}
		catch (NoSuchFileException ex) {
			return;
		}
		catch (IOException | UnsupportedOperationException ex) {
			throw new ControlSocketException("Unable to inspect control socket path " + this.path + ": " + ex, use, ex);
		}
		if ((mode & S_IFMT) != S_IFSOCK) {
			String what = attributes.isSymbolicLink() ? "a symbolic link" : attributes.isDirectory() ? "a directory"
					: attributes.isRegularFile() ? "a regular file" : "not a socket";
			throw new ControlSocketException(
					"Control socket path " + this.path + " is taken: it is " + what
							+ ", not a socket, and is left alone.",
					"Remove it if it is a leftover, or choose another path. " + use, null);
		}
		if (uid != this.ownUid) {
			throw new ControlSocketException(
					"Control socket path " + this.path + " is a socket of another user (uid " + uid
							+ "; this application runs as uid " + this.ownUid + "), and is left alone.",
					"Stop whatever created it and remove it, or choose another path. " + use, null);
		}
		if (refuseLive) {
			Integer answering = answeringPid(this.path);
			if (answering != null) {
				throw new ControlSocketException(
						"Control socket " + this.path + " is in use: another process (pid " + answering
								+ ") answers on it.",
						"Is another instance of this application running? Stop it, or give each instance its own "
								+ "zerodowntime.control-socket.",
						null);
			}
			logger.info("Control socket " + this.path + " is a leftover nobody answers on; it will be replaced");
		}
	}

	/**
	 * The pid of the process listening on the socket at {@code path}, or {@code null} if
	 * none answers.
	 */
	private Integer answeringPid(Path path) {
		try {
			return this.sockets.answeringPid(path);
		}
		catch (IOException | RuntimeException ex) {
			return null;
		}
	}

	/**
	 * Remove temporary names left by generations killed while binding (their pid is
	 * gone).
	 */
	private void removeStaleTemporaries() {
		String prefix = "." + this.path.getFileName() + ".";
		try (DirectoryStream<Path> entries = Files.newDirectoryStream(this.path.getParent(), prefix + "*.tmp")) {
			for (Path entry : entries) {
				String pid = entry.getFileName().toString().substring(prefix.length()).replace(".tmp", "");
				if (pid.chars().allMatch(Character::isDigit) && !pid.isEmpty()
						&& ProcessHandle.of(Long.parseLong(pid)).isEmpty()) {
					Files.deleteIfExists(entry);
				}
			}
		}
		catch (IOException | RuntimeException ex) {
			logger.debug("Unable to look for leftover temporary control sockets: " + ex);
		}
	}

	private Listener bindTemporary() {
		Sockets.UnixServer server = null;
		try {
			Files.deleteIfExists(this.temp);
			server = this.sockets.listenUnix(this.temp, 64);
			Files.setPosixFilePermissions(this.temp,
					PosixFilePermissions.fromString((this.group != null) ? "rw-rw----" : "rw-------"));
			if (this.group != null) {
				setGroup();
			}
			Listener listener = new Listener(server, fileKey(this.temp));
			listener.start();
			return listener;
		}
		catch (IOException | RuntimeException ex) {
			closeQuietly(server);
			try {
				Files.deleteIfExists(this.temp);
			}
			catch (IOException cleanup) {
				ex.addSuppressed(cleanup);
			}
			if (ex instanceof ControlSocketException controlSocketException) {
				throw controlSocketException;
			}
			throw new ControlSocketException("Unable to bind control socket " + this.temp + ": " + ex,
					"Check that the user this application runs as may create files in " + this.path.getParent() + ".",
					ex);
		}
	}

	private void setGroup() throws IOException {
		GroupPrincipal principal;
		try {
			principal = this.temp.getFileSystem()
				.getUserPrincipalLookupService()
				.lookupPrincipalByGroupName(this.group);
		}
		catch (UserPrincipalNotFoundException ex) {
			throw new ControlSocketException(
					"Unable to give control socket " + this.path + " to group '" + this.group
							+ "': there is no such group.",
					"Create the group, or correct zerodowntime.control-socket-group.", ex);
		}
		try {
			Files.setAttribute(this.temp, "posix:group", principal, LinkOption.NOFOLLOW_LINKS);
		}
		catch (IOException ex) {
			throw new ControlSocketException(
					"Unable to give control socket " + this.path + " to group '" + this.group + "': " + ex.getMessage()
							+ " (a process may only give its files to a group it is a member of).",
					"Add the user this application runs as to group '" + this.group + "' (systemd: SupplementaryGroups="
							+ this.group + "), or choose another group.",
					ex);
		}
	}

	private void rename() {
		try {
			Files.move(this.temp, this.path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
		}
		catch (IOException ex) {
			throw new ControlSocketException(
					"Unable to rename control socket " + this.temp + " to " + this.path + ": " + ex,
					"Check that the user this application runs as may write to " + this.path.getParent() + ".", ex);
		}
	}

	private static Object fileKey(Path path) {
		try {
			return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
		}
		catch (IOException ex) {
			return null;
		}
	}

	private static int ownUid() {
		try {
			// /proc/self belongs to the process's effective uid
			return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
		}
		catch (IOException | RuntimeException ex) {
			throw new ControlSocketException("Unable to read this process's uid from /proc/self: " + ex,
					"The control socket needs Linux with /proc mounted; unset zerodowntime.control-socket.", ex);
		}
	}

	private static void closeQuietly(Closeable closeable) {
		if (closeable != null) {
			try {
				closeable.close();
			}
			catch (IOException ex) {
				// nothing more to do
			}
		}
	}

	/**
	 * One bound listening socket and the thread that accepts on it. Closing it first
	 * accepts and serves every connection already queued: once the path names another
	 * socket no new one can arrive (a Unix-domain connect is queued at once or refused),
	 * so none is lost.
	 */
	private final class Listener {

		private final Sockets.UnixServer server;

		private final Object fileKey;

		private final Thread acceptor;

		private volatile boolean closing;

		Listener(Sockets.UnixServer server, Object fileKey) {
			this.server = server;
			this.fileKey = fileKey;
			this.acceptor = new Thread(this::acceptLoop, "zerodowntime-control");
			this.acceptor.setDaemon(true);
		}

		void start() {
			this.acceptor.start();
		}

		private void acceptLoop() {
			try {
				while (true) {
					boolean last = this.closing;
					if (!last) {
						this.server.awaitConnection();
					}
					acceptPending();
					if (last) {
						return;
					}
				}
			}
			catch (IOException | RuntimeException ex) {
				if (!this.closing) {
					logger.warn("Control socket " + ControlSocket.this.path + " stopped accepting: " + ex);
				}
			}
			finally {
				closeQuietly(this.server);
			}
		}

		private void acceptPending() throws IOException {
			Sockets.UnixConnection client;
			while ((client = this.server.accept()) != null) {
				dispatch(client);
			}
		}

		void close() {
			this.closing = true;
			this.server.wakeup();
			if (this.acceptor.isAlive() && this.acceptor != Thread.currentThread()) {
				try {
					this.acceptor.join(2000);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
			}
			else {
				closeQuietly(this.server);
			}
		}

	}

	private void dispatch(Sockets.UnixConnection client) {
		if (!this.slots.tryAcquire()) {
			reply(client, false,
					Reply.error(503, "too many control connections at once (" + MAX_CONNECTIONS + "); try again"));
			closeQuietly(client);
			return;
		}
		Thread serving = new Thread(() -> {
			try {
				serve(client);
			}
			finally {
				closeQuietly(client);
				this.slots.release();
			}
		}, "zerodowntime-control-" + connections.incrementAndGet());
		serving.setDaemon(true);
		serving.start();
	}

	private void serve(Sockets.UnixConnection client) {
		Peer peer = peer(client);
		boolean http = false;
		try {
			if (this.group == null && peer.uid() != this.ownUid && peer.uid() != 0) {
				logger.warn("Control socket " + this.path + ": refused a connection from " + peer.describe()
						+ ": only uid " + this.ownUid + " and root may use it");
				reply(client, false, Reply.error(403, "uid " + peer.uid() + " may not use this control socket"));
				return;
			}
			client.setReadTimeout(READ_TIMEOUT_MILLIS);
			InputStream in = new BufferedInputStream(client.input());
			String first = readLine(in);
			if (first == null || first.isBlank()) {
				// a probe (a liveness check, a test that connects and goes): nothing
				// asked
				return;
			}
			Matcher request = HTTP_REQUEST.matcher(first.trim());
			String command;
			if (request.matches()) {
				http = true;
				int contentLength = readHeaders(in);
				in.skipNBytes(Math.min(contentLength, MAX_BODY));
				command = httpCommand(request.group(1), request.group(2));
				if (command.startsWith("!")) {
					int status = Integer.parseInt(command.substring(1, 4));
					reply(client, true, Reply.error(status, command.substring(5)));
					return;
				}
			}
			else {
				command = first.trim().toLowerCase(Locale.ROOT);
			}
			if ("upgrade".equals(command)) {
				logger.info("Control socket " + this.path + ": upgrade requested by " + peer.describe());
			}
			else {
				logger.debug("Control socket " + this.path + ": '" + command + "' from " + peer.describe());
			}
			reply(client, http, this.handler.handle(command, peer));
		}
		catch (IOException | RuntimeException ex) {
			logger.debug("Control socket " + this.path + ": connection from " + peer.describe() + " ended: " + ex);
			if (!(ex instanceof IOException)) {
				reply(client, http, Reply.error(500, "unexpected error: " + ex));
			}
		}
	}

	/** The command an HTTP request asks for, or {@code !<status> <reason>}. */
	private static String httpCommand(String method, String target) {
		String path = target.replaceFirst("^https?://[^/]*", "");
		int query = path.indexOf('?');
		path = (query >= 0) ? path.substring(0, query) : path;
		boolean upgradePath = path.equals("/upgrade") || path.equals("/actuator/upgrade");
		if (!upgradePath && !path.equals("/status") && !path.equals("/")) {
			return "!404 no such resource '" + path + "': use POST /upgrade or GET /status";
		}
		if (method.equals("POST") && upgradePath) {
			return "upgrade";
		}
		if (method.equals("GET") || method.equals("HEAD")) {
			return "status";
		}
		return "!405 " + method + " " + path + " is not supported: use POST /upgrade or GET /status";
	}

	private static Peer peer(Sockets.UnixConnection client) {
		try {
			Sockets.PeerCredentials credentials = client.peer();
			if (credentials != null) {
				return new Peer(credentials.pid(), credentials.uid());
			}
		}
		catch (IOException | RuntimeException ex) {
			logger.debug("Unable to read the control socket peer's credentials: " + ex);
		}
		return new Peer(-1, -1);
	}

	/** Read the headers up to the empty line; return the Content-Length, 0 when none. */
	private static int readHeaders(InputStream in) throws IOException {
		int contentLength = 0;
		for (int i = 0; i < MAX_HEADERS; i++) {
			String line = readLine(in);
			if (line == null || line.isEmpty()) {
				return contentLength;
			}
			int colon = line.indexOf(':');
			if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("Content-Length")) {
				try {
					contentLength = Math.max(0, Integer.parseInt(line.substring(colon + 1).trim()));
				}
				catch (NumberFormatException ex) {
					throw new IOException("bad Content-Length: " + line);
				}
			}
		}
		throw new IOException("more than " + MAX_HEADERS + " header lines");
	}

	/**
	 * One line without its CR LF or LF; {@code null} at the end of the stream before any
	 * byte.
	 */
	private static String readLine(InputStream in) throws IOException {
		ByteArrayOutputStream line = new ByteArrayOutputStream();
		while (true) {
			int b = in.read();
			if (b == -1) {
				return (line.size() == 0) ? null : line.toString(StandardCharsets.UTF_8);
			}
			if (b == '\n') {
				String text = line.toString(StandardCharsets.UTF_8);
				return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
			}
			if (line.size() >= MAX_LINE) {
				throw new IOException("line longer than " + MAX_LINE + " bytes");
			}
			line.write(b);
		}
	}

	private static void reply(Sockets.UnixConnection client, boolean http, Reply reply) {
		String body = reply.json();
		byte[] bytes;
		if (http) {
			byte[] content = body.getBytes(StandardCharsets.UTF_8);
			String head = "HTTP/1.1 " + reply.status() + " " + reasonPhrase(reply.status()) + "\r\n"
					+ "Content-Type: application/json\r\nContent-Length: " + content.length
					+ "\r\nConnection: close\r\n\r\n";
			byte[] headBytes = head.getBytes(StandardCharsets.US_ASCII);
			bytes = new byte[headBytes.length + content.length];
			System.arraycopy(headBytes, 0, bytes, 0, headBytes.length);
			System.arraycopy(content, 0, bytes, headBytes.length, content.length);
		}
		else {
			bytes = (body + "\n").getBytes(StandardCharsets.UTF_8);
		}
		try {
			ByteBuffer buffer = ByteBuffer.wrap(bytes);
			while (buffer.hasRemaining()) {
				client.write(buffer);
			}
		}
		catch (IOException | RuntimeException ex) {
			logger.debug("Unable to answer on the control socket: " + ex);
		}
	}

	private static String reasonPhrase(int status) {
		return switch (status) {
			case 200 -> "OK";
			case 400 -> "Bad Request";
			case 403 -> "Forbidden";
			case 404 -> "Not Found";
			case 405 -> "Method Not Allowed";
			case 409 -> "Conflict";
			case 503 -> "Service Unavailable";
			default -> "Internal Server Error";
		};
	}

	/** Answers one command. */
	interface Handler {

		Reply handle(String command, Peer peer);

	}

	/**
	 * An answer: the status an HTTP client gets and the JSON body.
	 *
	 * @param status 200, 409, 500 as the upgrade endpoint; 400, 403, 404, 405, 503 for
	 * bad requests
	 * @param json the body
	 */
	record Reply(int status, String json) {

		static Reply error(int status, String message) {
			return new Reply(status, "{\"error\":" + ControlCommands.Json.write(message) + "}");
		}

	}

	/**
	 * The process at the other end, from {@code SO_PEERCRED}.
	 *
	 * @param pid its pid, -1 if unknown
	 * @param uid its uid, -1 if unknown
	 */
	record Peer(int pid, int uid) {

		String describe() {
			return (this.pid < 0) ? "an unknown peer" : "pid " + this.pid + ", uid " + this.uid;
		}

	}

}
