package io.zerodowntime;

import java.io.IOException;
import java.io.InputStream;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;

import jnr.ffi.Pointer;
import jnr.ffi.byref.IntByReference;
import jnr.unixsocket.Credentials;
import jnr.unixsocket.UnixDatagramChannel;
import jnr.unixsocket.UnixServerSocketChannel;
import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketChannel;
import jnr.unixsocket.UnixSocketOptions;

/**
 * {@link Sockets} through libc ({@code fstat}, {@code getsockopt}, {@code getsockname},
 * {@code socketpair}) and jnr-unixsocket (the datagram and the control socket).
 */
final class PosixSockets implements Sockets {

	private static final int SOL_SOCKET = 1;

	private static final int SO_TYPE = 3;

	private static final int SO_PEERCRED = 17;

	private static final int SO_SNDTIMEO = 21;

	private static final int SCM_RIGHTS = 1;

	private static final int MSG_NOSIGNAL = 0x4000;

	private static final int SO_ACCEPTCONN = 30;

	private static final int SO_PROTOCOL = 38;

	private static final int SO_DOMAIN = 39;

	private static final int AF_UNIX = 1;

	private static final int AF_INET = 2;

	private static final int AF_INET6 = 10;

	private static final int SOCK_STREAM = 1;

	private static final int SOCK_DGRAM = 2;

	private static final int SOCK_RAW = 3;

	private static final int SOCK_SEQPACKET = 5;

	private static final int SOCK_CLOEXEC = 02000000;

	private static final int IPPROTO_TCP = 6;

	private static final int IPPROTO_SCTP = 132;

	private static final int IPPROTO_MPTCP = 262;

	private final PosixBinding binding;

	private final LibC libc;

	private final Fds fds;

	PosixSockets(PosixBinding binding, Fds fds) {
		this.binding = binding;
		this.libc = binding.libc();
		this.fds = fds;
	}

	@Override
	public boolean isUnixSocket(int fd) throws NativeException {
		return fileType(fd) == PosixBinding.S_IFSOCK && intSocketOption(fd, SO_DOMAIN, "SO_DOMAIN") == AF_UNIX;
	}

	@Override
	public SocketInfo inspectListener(int fd) throws NativeException, NotAListenerException {
		if (!this.fds.isOpen(fd)) {
			throw new NotAListenerException(fd, "fd " + fd + " is not open");
		}
		int fileType = fileType(fd);
		if (fileType != PosixBinding.S_IFSOCK) {
			throw new NotAListenerException(fd,
					"fd " + fd + " is " + describeFileType(fd, fileType) + ", not a socket");
		}
		int domain = intSocketOption(fd, SO_DOMAIN, "SO_DOMAIN");
		if (domain == AF_UNIX) {
			throw new NotAListenerException(fd,
					"fd " + fd + " is a Unix-domain socket; only TCP (IPv4/IPv6) listeners are supported");
		}
		if (domain != AF_INET && domain != AF_INET6) {
			throw new NotAListenerException(fd, "fd " + fd + " is a socket of address family " + domain
					+ "; only TCP (IPv4/IPv6) listeners are supported");
		}
		int type = intSocketOption(fd, SO_TYPE, "SO_TYPE");
		if (type == SOCK_DGRAM) {
			throw new NotAListenerException(fd, "fd " + fd + " is a UDP (datagram) socket, not a stream socket");
		}
		if (type != SOCK_STREAM) {
			String kind = (type == SOCK_RAW) ? "a raw" : (type == SOCK_SEQPACKET) ? "a seqpacket" : "a type " + type;
			throw new NotAListenerException(fd, "fd " + fd + " is " + kind + " socket, not a stream socket");
		}
		int protocol = intSocketOption(fd, SO_PROTOCOL, "SO_PROTOCOL");
		if (protocol != IPPROTO_TCP && protocol != IPPROTO_MPTCP) {
			String kind = (protocol == IPPROTO_SCTP) ? "an SCTP" : "a protocol " + protocol;
			throw new NotAListenerException(fd, "fd " + fd + " is " + kind + " stream socket, not a TCP socket");
		}
		if (intSocketOption(fd, SO_ACCEPTCONN, "SO_ACCEPTCONN") == 0) {
			throw new NotAListenerException(fd,
					"fd " + fd + " is a stream socket that is not listening (a connected socket?)");
		}
		return new SocketInfo(fd, domain == AF_INET6, localAddress(fd));
	}

	@Override
	public int findListeningSocketFd(InetSocketAddress local) throws NativeException {
		Objects.requireNonNull(local, "local");
		if (local.isUnresolved()) {
			throw new IllegalArgumentException("Address " + local + " is unresolved");
		}
		for (int fd : this.fds.openFds()) {
			String target;
			try {
				target = Files.readSymbolicLink(PosixFds.PROC_SELF_FD.resolve(Integer.toString(fd))).toString();
			}
			catch (IOException ex) {
				continue; // closed since the listing
			}
			if (!target.startsWith("socket:")) {
				continue;
			}
			try {
				int domain = intSocketOption(fd, SO_DOMAIN, "SO_DOMAIN");
				if ((domain != AF_INET && domain != AF_INET6) || intSocketOption(fd, SO_TYPE, "SO_TYPE") != SOCK_STREAM
						|| intSocketOption(fd, SO_ACCEPTCONN, "SO_ACCEPTCONN") == 0) {
					continue;
				}
				InetSocketAddress address = localAddress(fd);
				if (address != null && address.getPort() == local.getPort()
						&& sameAddress(address.getAddress(), local.getAddress())) {
					return fd;
				}
			}
			catch (NativeException ex) {
				// closed or replaced since the listing: not ours
			}
		}
		return -1;
	}

	@Override
	public int[] socketPair() throws NativeException {
		int[] pair = new int[2];
		if (this.libc.socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == -1) {
			throw this.binding.failure("create a Unix-domain socket pair");
		}
		return pair;
	}

	@Override
	public int peerPid(int fd) throws NativeException {
		Pointer credentials = this.binding.allocate(PosixBinding.UCRED_SIZE);
		IntByReference length = new IntByReference(PosixBinding.UCRED_SIZE);
		if (this.libc.getsockopt(fd, SOL_SOCKET, SO_PEERCRED, credentials, length) == -1) {
			throw this.binding.failure("read the peer credentials (SO_PEERCRED) of fd " + fd);
		}
		return credentials.getInt(0);
	}

	@Override
	public int sendDatagram(String address, byte[] message, Duration timeout) throws IOException {
		try (UnixDatagramChannel channel = UnixDatagramChannel.open()) {
			channel.setOption(UnixSocketOptions.SO_SNDTIMEO, (int) timeout.toMillis());
			return channel.send(ByteBuffer.wrap(message), new UnixSocketAddress(address));
		}
	}

	@Override
	public int sendDatagram(String address, byte[] message, int[] fds, Duration timeout) throws IOException {
		if (fds.length == 0) {
			return sendDatagram(address, message, timeout);
		}
		byte[] path = address.getBytes(StandardCharsets.US_ASCII);
		if (path.length == 0 || path.length >= PosixBinding.SOCKADDR_UN_SIZE - PosixBinding.SUN_PATH_OFFSET) {
			throw new IOException("Unix-domain address of " + path.length + " bytes cannot be used");
		}
		int fd = this.libc.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd == -1) {
			throw this.binding.failure("create a Unix-domain datagram socket");
		}
		try {
			Pointer sendTimeout = this.binding.allocate(PosixBinding.TIMEVAL_SIZE);
			long millis = Math.max(1, timeout.toMillis());
			sendTimeout.putLong(0, millis / 1000);
			sendTimeout.putLong(8, (millis % 1000) * 1000);
			if (this.libc.setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, sendTimeout, PosixBinding.TIMEVAL_SIZE) == -1) {
				throw this.binding.failure("set SO_SNDTIMEO on a Unix-domain datagram socket");
			}
			Pointer name = this.binding.allocate(PosixBinding.SOCKADDR_UN_SIZE);
			name.putShort(0, (short) AF_UNIX);
			name.put(PosixBinding.SUN_PATH_OFFSET, path, 0, path.length);
			// an abstract address (leading NUL) is exactly its bytes; a path ends with
			// its
			// NUL
			int nameLength = PosixBinding.SUN_PATH_OFFSET + path.length + ((path[0] == 0) ? 0 : 1);
			Pointer data = this.binding.allocate(Math.max(1, message.length));
			data.put(0, message, 0, message.length);
			Pointer iov = this.binding.allocate(PosixBinding.IOVEC_SIZE);
			iov.putPointer(0, data);
			iov.putLong(8, message.length);
			int rightsLength = 4 * fds.length;
			int controlLength = PosixBinding.CMSGHDR_SIZE + ((rightsLength + 7) & ~7);
			Pointer control = this.binding.allocate(controlLength);
			control.putLong(0, PosixBinding.CMSGHDR_SIZE + rightsLength);
			control.putInt(8, SOL_SOCKET);
			control.putInt(12, SCM_RIGHTS);
			for (int i = 0; i < fds.length; i++) {
				control.putInt(PosixBinding.CMSGHDR_SIZE + 4L * i, fds[i]);
			}
			Pointer header = this.binding.allocate(PosixBinding.MSGHDR_SIZE);
			header.putPointer(PosixBinding.MSGHDR_NAME, name);
			header.putInt(PosixBinding.MSGHDR_NAMELEN, nameLength);
			header.putPointer(PosixBinding.MSGHDR_IOV, iov);
			header.putLong(PosixBinding.MSGHDR_IOVLEN, 1);
			header.putPointer(PosixBinding.MSGHDR_CONTROL, control);
			header.putLong(PosixBinding.MSGHDR_CONTROLLEN, controlLength);
			while (true) {
				long sent = this.libc.sendmsg(fd, header, MSG_NOSIGNAL);
				if (sent >= 0) {
					return (int) sent;
				}
				int errno = this.binding.errno();
				if (errno != PosixBinding.EINTR) {
					throw PosixBinding.failure(
							"send a datagram with " + fds.length + " descriptor(s) to " + address.replace('\0', '@'),
							errno);
				}
			}
		}
		finally {
			this.libc.close(fd);
		}
	}

	@Override
	public void prepareDatagram(String address) throws IOException {
		try (UnixDatagramChannel channel = UnixDatagramChannel.open()) {
			new UnixSocketAddress(address).path();
		}
	}

	@Override
	public UnixServer listenUnix(Path path, int backlog) throws IOException {
		UnixServerSocketChannel channel = UnixServerSocketChannel.open();
		try {
			channel.socket().bind(new UnixSocketAddress(path.toFile()), backlog);
			return new JnrUnixServer(channel);
		}
		catch (IOException | RuntimeException ex) {
			channel.close();
			throw ex;
		}
	}

	@Override
	public int answeringPid(Path path) throws IOException {
		try (UnixSocketChannel probe = UnixSocketChannel.open(new UnixSocketAddress(path.toFile()))) {
			Credentials credentials = probe.getOption(UnixSocketOptions.SO_PEERCRED);
			return (credentials != null) ? credentials.getPid() : -1;
		}
	}

	private int fileType(int fd) throws NativeException {
		Pointer stat = this.binding.allocate(this.binding.layout().statSize());
		if (this.binding.fstat(fd, stat) == -1) {
			throw this.binding.failure("fstat fd " + fd);
		}
		return stat.getInt(this.binding.layout().statModeOffset()) & PosixBinding.S_IFMT;
	}

	private static String describeFileType(int fd, int fileType) {
		switch (fileType) {
			case PosixBinding.S_IFREG:
				return "a regular file";
			case PosixBinding.S_IFDIR:
				return "a directory";
			case PosixBinding.S_IFIFO:
				return "a pipe/FIFO";
			case PosixBinding.S_IFCHR:
				return "a character device";
			case PosixBinding.S_IFBLK:
				return "a block device";
			case PosixBinding.S_IFLNK:
				return "a symbolic link";
			case 0:
				return "an anonymous inode (" + linkTarget(fd) + ")";
			default:
				return "a file of unknown type 0" + Integer.toOctalString(fileType);
		}
	}

	private static String linkTarget(int fd) {
		try {
			return Files.readSymbolicLink(PosixFds.PROC_SELF_FD.resolve(Integer.toString(fd))).toString();
		}
		catch (IOException ex) {
			return "eventfd, epoll or similar";
		}
	}

	private int intSocketOption(int fd, int option, String optionName) throws NativeException {
		Pointer value = this.binding.allocate(4);
		IntByReference length = new IntByReference(4);
		if (this.libc.getsockopt(fd, SOL_SOCKET, option, value, length) == -1) {
			throw this.binding.failure("read " + optionName + " of fd " + fd);
		}
		return value.getInt(0);
	}

	private InetSocketAddress localAddress(int fd) throws NativeException {
		Pointer address = this.binding.allocate(PosixBinding.SOCKADDR_STORAGE_SIZE);
		IntByReference length = new IntByReference(PosixBinding.SOCKADDR_STORAGE_SIZE);
		if (this.libc.getsockname(fd, address, length) == -1) {
			throw this.binding.failure("read the local address of fd " + fd);
		}
		return decodeSocketAddress(address, length.intValue());
	}

	/**
	 * Decodes a sockaddr_in/sockaddr_in6 (port and address in network byte order); null
	 * for other families.
	 */
	private static InetSocketAddress decodeSocketAddress(Pointer address, int length) {
		int family = address.getShort(0) & 0xffff;
		int port = ((address.getByte(2) & 0xff) << 8) | (address.getByte(3) & 0xff);
		try {
			if (family == AF_INET && length >= 8) {
				byte[] bytes = new byte[4];
				address.get(4, bytes, 0, 4);
				return new InetSocketAddress(InetAddress.getByAddress(bytes), port);
			}
			if (family == AF_INET6 && length >= 28) {
				byte[] bytes = new byte[16];
				address.get(8, bytes, 0, 16);
				int scopeId = address.getInt(24);
				// getByAddress turns a v4-mapped address into an Inet4Address
				InetAddress inet = InetAddress.getByAddress(bytes);
				if (scopeId != 0 && inet instanceof Inet6Address) {
					inet = Inet6Address.getByAddress(null, bytes, scopeId);
				}
				return new InetSocketAddress(inet, port);
			}
		}
		catch (UnknownHostException ex) {
			throw new IllegalStateException("Unexpected address length", ex);
		}
		return null;
	}

	private static boolean sameAddress(InetAddress a, InetAddress b) {
		InetAddress left = unmapIpv4(a);
		InetAddress right = unmapIpv4(b);
		if (left.isAnyLocalAddress() && right.isAnyLocalAddress()) {
			return true;
		}
		return Arrays.equals(left.getAddress(), right.getAddress());
	}

	private static InetAddress unmapIpv4(InetAddress address) {
		byte[] bytes = address.getAddress();
		if (address instanceof Inet6Address && isV4Mapped(bytes)) {
			try {
				return Inet4Address.getByAddress(Arrays.copyOfRange(bytes, 12, 16));
			}
			catch (UnknownHostException ex) {
				throw new IllegalStateException(ex);
			}
		}
		return address;
	}

	private static boolean isV4Mapped(byte[] bytes) {
		for (int i = 0; i < 10; i++) {
			if (bytes[i] != 0) {
				return false;
			}
		}
		return bytes[10] == (byte) 0xff && bytes[11] == (byte) 0xff;
	}

	/** A jnr-unixsocket server channel, non-blocking, with its own selector. */
	private static final class JnrUnixServer implements UnixServer {

		private final UnixServerSocketChannel channel;

		private final Selector selector;

		JnrUnixServer(UnixServerSocketChannel channel) throws IOException {
			this.channel = channel;
			this.selector = channel.provider().openSelector();
			try {
				channel.configureBlocking(false);
				channel.register(this.selector, SelectionKey.OP_ACCEPT);
			}
			catch (IOException | RuntimeException ex) {
				this.selector.close();
				throw ex;
			}
		}

		@Override
		public void awaitConnection() throws IOException {
			this.selector.select();
			this.selector.selectedKeys().clear();
		}

		@Override
		public void wakeup() {
			this.selector.wakeup();
		}

		@Override
		public UnixConnection accept() throws IOException {
			UnixSocketChannel client = this.channel.accept();
			if (client == null) {
				return null;
			}
			client.configureBlocking(true);
			return new JnrUnixConnection(client);
		}

		@Override
		public void close() throws IOException {
			try {
				this.selector.close();
			}
			finally {
				this.channel.close();
			}
		}

	}

	/** An accepted jnr-unixsocket connection. */
	private static final class JnrUnixConnection implements UnixConnection {

		private final UnixSocketChannel channel;

		JnrUnixConnection(UnixSocketChannel channel) {
			this.channel = channel;
		}

		@Override
		public PeerCredentials peer() throws IOException {
			Credentials credentials = this.channel.getOption(UnixSocketOptions.SO_PEERCRED);
			return (credentials != null) ? new PeerCredentials(credentials.getPid(), credentials.getUid()) : null;
		}

		@Override
		public void setReadTimeout(int millis) throws IOException {
			this.channel.setOption(UnixSocketOptions.SO_RCVTIMEO, millis);
		}

		@Override
		public InputStream input() {
			return Channels.newInputStream(this.channel);
		}

		@Override
		public void write(ByteBuffer buffer) throws IOException {
			this.channel.write(buffer);
		}

		@Override
		public void close() throws IOException {
			this.channel.close();
		}

	}

}
