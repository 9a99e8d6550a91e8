package io.zerodowntime.netty;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.netty.channel.AbstractServerChannel;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.DefaultServerSocketChannelConfig;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.ServerSocketChannelConfig;
import io.zerodowntime.server.ListenerRegistry;
import io.zerodowntime.server.ListenerRequest;
import io.zerodowntime.server.ServerListener;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * The listening channel of a Reactor Netty server: never binds, but claims its listening
 * socket from the process's {@link ListenerRegistry} where Netty would bind one, and
 * accepts on a thread of its own that waits at the accept gate before each accept. Each
 * connection accepted is handed to the server as a {@link DrainableSocketChannel}, as
 * Netty's own NIO server channel hands over what it accepts; the server's child event
 * loops must therefore be NIO ones ({@link InheritableHttpServer} sees to it).
 *
 * <p>
 * When its generation drains, the core calls {@link ConnectionDrain#stopAccepting()}:
 * this process's copy of the listener is closed (never shut down), which wakes the
 * acceptor; what it accepted before is still handed over.
 */
final class InheritedServerChannel extends AbstractServerChannel implements ServerSocketChannel {

	private static final Log logger = LogFactory.getLog(InheritedServerChannel.class);

	/** How long stopping waits for the acceptor to hand over what it accepted. */
	private static final long ACCEPTOR_JOIN_MILLIS = 2000;

	/** Pause after an accept error other than a close (e.g. too many open files). */
	private static final long ACCEPT_ERROR_PAUSE_MILLIS = 50;

	private final ListenerRegistry registry;

	private final String listenerName;

	/** Holds the options Netty sets before the bind; applied to a new bind. */
	private final ServerSocket options;

	private final ServerSocketChannelConfig config;

	private final Set<Channel> connections = ConcurrentHashMap.newKeySet();

	private final ConnectionDrain drain;

	private volatile ServerListener listener;

	private volatile Thread acceptor;

	private volatile boolean open = true;

	InheritedServerChannel(ListenerRegistry registry, String listenerName) {
		this.registry = registry;
		this.listenerName = listenerName;
		try {
			this.options = new ServerSocket();
		}
		catch (IOException ex) {
			throw new IllegalStateException("Unable to create a socket to hold the options of listener '" + listenerName
					+ "': " + ex.getMessage(), ex);
		}
		this.config = new DefaultServerSocketChannelConfig(this, this.options);
		this.drain = new ConnectionDrain(this);
	}

	String listenerName() {
		return this.listenerName;
	}

	ServerListener listener() {
		return this.listener;
	}

	Set<Channel> connections() {
		return this.connections;
	}

	ConnectionDrain drain() {
		return this.drain;
	}

	@Override
	public ServerSocketChannelConfig config() {
		return this.config;
	}

	@Override
	public boolean isOpen() {
		return this.open;
	}

	@Override
	public boolean isActive() {
		return this.open && this.listener != null;
	}

	@Override
	protected boolean isCompatible(EventLoop loop) {
		// nothing is selected on this channel: its acceptor thread blocks in accept()
		return true;
	}

	@Override
	public InetSocketAddress localAddress() {
		return (InetSocketAddress) super.localAddress();
	}

	@Override
	public InetSocketAddress remoteAddress() {
		return null;
	}

	@Override
	protected SocketAddress localAddress0() {
		ServerListener handle = this.listener;
		return (handle != null) ? handle.localAddress() : null;
	}

	/**
	 * Claim the listening socket where Netty would bind it: adopted from the descriptor
	 * passed for this listener, or bound anew with the options set on this channel.
	 */
	@Override
	protected void doBind(SocketAddress localAddress) throws Exception {
		if (!(localAddress instanceof InetSocketAddress inet)) {
			throw new IllegalArgumentException("Listener '" + this.listenerName
					+ "' can only be handed over on a TCP address, not " + localAddress);
		}
		InetAddress address = (inet.getAddress() != null && !inet.getAddress().isAnyLocalAddress()) ? inet.getAddress()
				: null;
		ListenerRequest request = new ListenerRequest(this.listenerName, address, inet.getPort());
		boolean reuseAddress = this.options.getReuseAddress();
		int receiveBuffer = this.options.getReceiveBufferSize();
		ServerListener handle = this.registry.claim(request, this.config.getBacklog(), (socket) -> {
			socket.setReuseAddress(reuseAddress);
			socket.setReceiveBufferSize(receiveBuffer);
		});
		this.options.close();
		handle.channel().configureBlocking(true);
		handle.attach(this.drain);
		this.listener = handle;
		Thread thread = new Thread(this::acceptLoop, "zerodowntime-netty-acceptor-" + this.listenerName);
		thread.setDaemon(true);
		this.acceptor = thread;
		thread.start();
	}

	@Override
	protected void doBeginRead() {
		// the acceptor thread accepts
	}

	@Override
	protected void doClose() throws Exception {
		this.open = false;
		this.options.close();
		closeListener();
	}

	/**
	 * Stop accepting: close this process's copy of the listener, which wakes the
	 * acceptor, and wait until it has handed over what it accepted.
	 */
	void stopAccepting() {
		closeListener();
		Thread thread = this.acceptor;
		if (thread != null && thread != Thread.currentThread()) {
			try {
				thread.join(ACCEPTOR_JOIN_MILLIS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
	}

	private void closeListener() {
		ServerListener handle = this.listener;
		if (handle != null) {
			try {
				handle.close();
			}
			catch (IOException ex) {
				logger.warn("Unable to close listener '" + this.listenerName + "': " + ex.getMessage());
			}
		}
	}

	private void acceptLoop() {
		ServerListener handle = this.listener;
		try {
			while (this.open) {
				this.registry.awaitAcceptGate(handle);
				if (handle.isClosed() || !this.open) {
					return;
				}
				SocketChannel accepted;
				try {
					accepted = handle.channel().accept();
				}
				catch (ClosedChannelException ex) {
					if (handle.isClosed() || !this.open) {
						return;
					}
					// suspended for a new generation's probation: the gate is shut, and
					// if
					// this generation resumes, channel() is a new channel on the same
					// socket
					TimeUnit.MILLISECONDS.sleep(ACCEPT_ERROR_PAUSE_MILLIS / 5);
					continue;
				}
				catch (IOException ex) {
					logger.warn("Accept failed on listener '" + this.listenerName + "': " + ex.getMessage());
					TimeUnit.MILLISECONDS.sleep(ACCEPT_ERROR_PAUSE_MILLIS);
					continue;
				}
				if (accepted != null) {
					handOver(accepted);
				}
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		catch (RuntimeException | Error ex) {
			logger.error("The acceptor of listener '" + this.listenerName + "' stopped", ex);
		}
	}

	/**
	 * Hand a connection to the server, as Netty's NIO server channel does: read by this
	 * channel's pipeline, whose acceptor registers it with a child event loop.
	 */
	private void handOver(SocketChannel accepted) {
		DrainableSocketChannel child;
		try {
			child = new DrainableSocketChannel(this, accepted);
		}
		catch (RuntimeException ex) {
			logger.warn("Unable to serve a connection on listener '" + this.listenerName + "': " + ex.getMessage());
			closeQuietly(accepted);
			return;
		}
		this.connections.add(child);
		child.closeFuture().addListener((future) -> this.connections.remove(child));
		try {
			eventLoop().execute(() -> {
				pipeline().fireChannelRead(child);
				pipeline().fireChannelReadComplete();
			});
		}
		catch (RuntimeException ex) {
			// the event loop is shutting down
			this.connections.remove(child);
			closeQuietly(accepted);
		}
	}

	private static void closeQuietly(SocketChannel channel) {
		try {
			channel.close();
		}
		catch (IOException ex) {
			// nothing more to do
		}
	}

	@Override
	public String toString() {
		ServerListener handle = this.listener;
		return "InheritedServerChannel[" + this.listenerName + ((handle != null) ? " " + handle.localAddress() : "")
				+ "]";
	}

}
