package io.zerodowntime;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.ServerSocketChannel;

/**
 * Adopts passed descriptors without opening {@code sun.nio.ch} and without any JVM flag:
 * a JDK channel of the right family is bound to a throw-away loopback port, then the
 * passed socket is {@code dup2}'ed over the channel's descriptor. The JDK keeps the
 * throw-away address, so {@link ListenerHandle#localAddress()} carries the real one.
 */
final class NativeListenerSockets implements ListenerSockets {

	private final Fds fds;

	private final Sockets sockets;

	NativeListenerSockets(Os os) {
		this.fds = os.fds();
		this.sockets = os.sockets();
	}

	@Override
	public Adopted adopt(InheritedFd inherited) throws IOException {
		SocketInfo socket = inherited.socket();
		ServerSocketChannel channel = ServerSocketChannel
			.open(socket.ipv6() ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
		try {
			InetSocketAddress placeholder = bindPlaceholder(channel, socket.ipv6());
			int target = this.sockets.findListeningSocketFd(placeholder);
			if (target < 0) {
				throw new IOException(
						"Unable to adopt fd " + inherited.fd() + ": the descriptor of the JDK channel bound to "
								+ Addresses.format(placeholder) + " was not found");
			}
			this.fds.dup2(inherited.fd(), target);
			this.fds.setCloseOnExec(target, true);
			this.fds.close(inherited.fd());
			return new Adopted(channel, socket.localAddress(), target);
		}
		catch (IOException | RuntimeException ex) {
			channel.close();
			throw ex;
		}
	}

	@Override
	public Adopted duplicate(Adopted original) throws IOException {
		int copy = this.fds.dup(original.fd());
		try {
			// the kernel says the family: a channel the JDK bound may be IPv6 with an
			// IPv4 address
			SocketInfo socket = this.sockets.inspectListener(copy);
			Adopted adopted = adopt(new InheritedFd(copy, null, socket, null));
			return new Adopted(adopted.channel(), original.localAddress(), adopted.fd());
		}
		catch (IOException | RuntimeException ex) {
			close(copy);
			throw ex;
		}
	}

	private InetSocketAddress bindPlaceholder(ServerSocketChannel channel, boolean ipv6) throws IOException {
		InetAddress loopback = ipv6 ? Inet6Address.getByName("::1") : InetAddress.getByName("127.0.0.1");
		try {
			channel.bind(new InetSocketAddress(loopback, 0), 1);
		}
		catch (IOException ex) {
			// ::1 may be absent on a host with IPv6 disabled on lo; any local address
			// will do
			channel.bind(new InetSocketAddress(0), 1);
		}
		return (InetSocketAddress) channel.getLocalAddress();
	}

	@Override
	public Adopted bind(InetSocketAddress address, int backlog, SocketConfigurer configurer) throws IOException {
		ServerSocketChannel channel = ServerSocketChannel.open();
		try {
			configurer.configure(channel.socket());
			channel.bind(address, backlog);
			InetSocketAddress local = (InetSocketAddress) channel.getLocalAddress();
			int fd = this.sockets.findListeningSocketFd(local);
			if (fd >= 0) {
				this.fds.setCloseOnExec(fd, true);
			}
			return new Adopted(channel, local, fd);
		}
		catch (IOException | RuntimeException ex) {
			channel.close();
			throw ex;
		}
	}

	@Override
	public void close(int fd) {
		try {
			this.fds.close(fd);
		}
		catch (IOException ex) {
			// already closed: nothing left to release
		}
	}

}
