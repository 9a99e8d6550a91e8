package io.zerodowntime.tomcat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NetworkChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import io.zerodowntime.server.DrainTarget;
import io.zerodowntime.server.ListenerRegistry;
import io.zerodowntime.server.ListenerRequest;
import io.zerodowntime.server.ServerListener;
import org.apache.coyote.Processor;
import org.apache.coyote.UpgradeToken;
import org.apache.tomcat.util.net.NioChannel;
import org.apache.tomcat.util.net.NioEndpoint;
import org.apache.tomcat.util.net.SocketWrapperBase;

/**
 * A {@link NioEndpoint} whose listening socket comes from the process's
 * {@link ListenerRegistry}: adopted from a passed descriptor, or bound anew and recorded
 * so it can be passed to the next generation. The Tomcat adapter of the server-adapter
 * SPI ({@code io.zerodowntime.server}); it uses nothing else of the core.
 *
 * <p>
 * Unlike the stock endpoint it never wakes its acceptor by connecting to its own port: on
 * a socket shared with another process that connection would be taken by the other
 * process, and the acceptor would then swallow a real client's connection. It closes its
 * own copy of the socket instead, which leaves the socket listening for every other
 * holder. A consequence is that {@link #pause()} cannot be undone by {@link #resume()}.
 *
 * <p>
 * When its generation drains, it answers each request it has read (pipelined ones
 * included), puts {@code Connection: close} on the last one read on a connection, and
 * reads nothing after it; a connection idle between requests stays open until its next
 * request or the drain deadline, when it is closed; a request still running then is cut.
 * At the deadline, before that, a server-sent-event stream still open is completed and
 * the deadline actions run (the starter's closes WebSocket sessions with 1001, going
 * away), and the connections they ended get up to a second to finish.
 *
 * @since 0.1.0
 */
public class InheritableNioEndpoint extends NioEndpoint {

	private volatile String listenerName = "http";

	private volatile ServerListener listener;

	private volatile ListenerRegistry registry;

	private volatile boolean delegating;

	/**
	 * How long a drain waits for the acceptor to hand off what it accepted; it may be
	 * blocked at maxConnections.
	 */
	private static final long ACCEPTOR_PARK_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(2);

	private volatile boolean draining;

	private volatile DrainingAdapter adapter;

	private volatile int maxKeepAliveRequests = 100;

	private final Object parking = new Object();

	private boolean acceptorParked;

	/**
	 * How long the deadline waits for the streams it ended to finish their last frames.
	 */
	private static final long STREAM_END_NANOS = TimeUnit.SECONDS.toNanos(1);

	private final List<Runnable> deadlineActions = new CopyOnWriteArrayList<>();

	/** Whether keep-alive is stopped on the connections held, for a probation. */
	private volatile boolean keepAliveStopped;

	/**
	 * Set the name this endpoint's listener is passed under (matched against
	 * {@code LISTEN_FDNAMES}).
	 * @param listenerName the name
	 */
	public void setListenerName(String listenerName) {
		this.listenerName = listenerName;
	}

	/**
	 * Return the name this endpoint's listener is passed under.
	 * @return the name
	 */
	public String getListenerName() {
		return this.listenerName;
	}

	/**
	 * Set the registry this endpoint takes its listening socket from.
	 * @param registry the registry
	 */
	public void setListenerRegistry(ListenerRegistry registry) {
		this.registry = registry;
	}

	/**
	 * Return the listener this endpoint accepts from, or {@code null} before it is bound
	 * and after it is closed.
	 * @return the listener
	 */
	public ServerListener getListener() {
		return this.listener;
	}

	@Override
	protected void initServerSocket() throws Exception {
		this.delegating = getUseInheritedChannel() || getUnixDomainSocketPath() != null;
		if (this.delegating) {
			super.initServerSocket();
			return;
		}
		ListenerRegistry registry = this.registry;
		if (registry == null) {
			throw new IllegalStateException("The connector of listener '" + this.listenerName + "' has no listener "
					+ "registry: " + InheritableHttp11NioProtocol.class.getSimpleName() + " is configured by the "
					+ "zerodowntime starter (zerodowntime.enabled=true) on the connectors of Spring Boot's Tomcat "
					+ "factory; for a connector made elsewhere, call setListenerRegistry(upgrader.listenerRegistry())");
		}
		ListenerRequest request = new ListenerRequest(this.listenerName, getAddress(), getPortWithOffset());
		ServerListener handle = registry.claim(request, getAcceptCount(),
				(socket) -> getSocketProperties().setProperties(socket));
		handle.channel().configureBlocking(true);
		handle.attach(new DrainTarget() {

			@Override
			public void stopAccepting() {
				stopAcceptingGracefully();
			}

			@Override
			public int openConnections() {
				return getConnections().size();
			}

			@Override
			public void keepAlive(boolean allowed) {
				allowKeepAlive(allowed);
			}

			@Override
			public int closeConnections() {
				return closeEveryConnection();
			}

		});
		this.listener = handle;
	}

	@Override
	protected NetworkChannel getServerSocket() {
		if (this.delegating) {
			return super.getServerSocket();
		}
		ServerListener handle = this.listener;
		return (handle != null) ? new RealAddressChannel(handle) : null;
	}

	@Override
	protected SocketChannel serverSocketAccept() throws Exception {
		if (this.delegating) {
			return super.serverSocketAccept();
		}
		ServerListener handle = this.listener;
		if (handle == null) {
			return placeholder();
		}
		while (true) {
			this.registry.awaitAcceptGate(handle);
			if (handle.isClosed()) {
				break;
			}
			try {
				return handle.channel().accept();
			}
			catch (ClosedChannelException ex) {
				if (handle.isClosed()) {
					break;
				}
				// suspended for a new generation's probation: the gate is shut, and if
				// this
				// generation resumes, channel() is a new channel on the same socket
			}
		}
		parkUntilStopped();
		return placeholder();
	}

	/**
	 * Called by the acceptor once its listener is closed: it has handed off every
	 * connection it accepted, so the stop can now be flagged without a connection being
	 * destroyed (Tomcat resets a connection it accepted after the stop was flagged).
	 */
	private void parkUntilStopped() throws InterruptedException {
		synchronized (this.parking) {
			this.acceptorParked = true;
			this.parking.notifyAll();
			while (isRunning() && !isPaused() && getBindState() != BindState.SOCKET_CLOSED_ON_STOP) {
				this.parking.wait(50);
			}
		}
	}

	/**
	 * Stop accepting without losing a connection: close this process's copy of the
	 * listener first, wait until the acceptor is back in {@link #serverSocketAccept()}
	 * with nothing in hand, then let Tomcat flag the stop. From then on the last request
	 * read on each connection is answered with {@code Connection: close}.
	 */
	private void stopAcceptingGracefully() {
		this.draining = true;
		closeListener();
		synchronized (this.parking) {
			long deadline = System.nanoTime() + ACCEPTOR_PARK_TIMEOUT_NANOS;
			while (!this.acceptorParked && System.nanoTime() < deadline) {
				try {
					this.parking.wait(10);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					break;
				}
			}
		}
		closeServerSocketGraceful();
		synchronized (this.parking) {
			this.parking.notifyAll();
		}
	}

	/**
	 * Stop keep-alive on the connections held, reversibly: as in a drain, the last
	 * request read on each connection is answered with {@code Connection: close}.
	 */
	private void allowKeepAlive(boolean allowed) {
		this.keepAliveStopped = !allowed;
	}

	/**
	 * The drain deadline: end the streams that can end properly, then close every
	 * connection left at once. A server-sent-event stream is completed and the deadline
	 * actions run (WebSocket sessions are closed with 1001); the connections they ended
	 * get up to a second to send their last bytes. Then what a client sent that was not
	 * read is discarded, so an idle connection ends with a plain FIN, and each connection
	 * is closed. Returns the requests cut: those being served, those waiting
	 * asynchronously or half read, and those that had arrived unread. Their threads are
	 * not waited for when Tomcat stops: they were interrupted and their responses can no
	 * longer be sent.
	 */
	private int closeEveryConnection() {
		DrainingAdapter adapter = this.adapter;
		int streams = (adapter != null) ? adapter.completeEventStreams() : 0;
		int webSockets = 0;
		if (!this.deadlineActions.isEmpty()) {
			webSockets = webSocketConnections();
			for (Runnable action : this.deadlineActions) {
				try {
					action.run();
				}
				catch (RuntimeException ex) {
					getLog().warn("Unable to run a drain deadline action: " + ex, ex);
				}
			}
		}
		if (streams + webSockets > 0) {
			awaitEnded(adapter, webSockets > 0);
		}
		// what is cut: a request in the servlet container (an ended stream still sending
		// its end too), a connection in asynchronous mode or upgraded, unread bytes
		int cut = (adapter != null) ? adapter.inService() : 0;
		for (SocketWrapperBase<NioChannel> wrapper : getConnections()) {
			NioChannel socket = wrapper.getSocket();
			SocketChannel channel = (socket != null) ? socket.getIOChannel() : null;
			if (channel == null) {
				continue;
			}
			int unread = DiscardingHandler.discardUnread(channel);
			if (wrapper.getCurrentProcessor() != null || unread > 0) {
				cut++;
			}
			try {
				channel.close();
			}
			catch (IOException ex) {
				getLog().debug("Unable to close connection " + wrapper + ": " + ex.getMessage());
			}
		}
		setExecutorTerminationTimeoutMillis(0);
		return cut;
	}

	/** Upgraded connections other than HTTP/2: WebSocket, or another protocol. */
	private int webSocketConnections() {
		int upgraded = 0;
		for (SocketWrapperBase<NioChannel> wrapper : getConnections()) {
			if (wrapper.getCurrentProcessor() instanceof Processor processor && processor.isUpgrade()) {
				UpgradeToken token = processor.getUpgradeToken();
				// Tomcat's HTTP/2 handler is not public: told by its package
				if (token != null && token.getHttpUpgradeHandler() != null
						&& !token.getHttpUpgradeHandler().getClass().getName().startsWith("org.apache.coyote.http2.")) {
					upgraded++;
				}
			}
		}
		return upgraded;
	}

	/**
	 * Wait, a short while at most, until every event stream completed has sent its end,
	 * and every WebSocket connection closed by a deadline action is gone.
	 */
	private void awaitEnded(DrainingAdapter adapter, boolean webSockets) {
		long deadline = System.nanoTime() + STREAM_END_NANOS;
		while ((((adapter != null) && adapter.endingEventStreams() > 0) || (webSockets && webSocketConnections() > 0))
				&& System.nanoTime() < deadline) {
			try {
				Thread.sleep(20);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return;
			}
		}
	}

	/**
	 * Add an action to run at the drain deadline, before the connections left are closed:
	 * it may end long-lived exchanges properly (the starter closes WebSocket sessions
	 * with 1001, going away). It must not block.
	 * @param action the action
	 */
	void addDeadlineAction(Runnable action) {
		this.deadlineActions.add(action);
	}

	/**
	 * Return whether each connection is closed after the last request read on it: while
	 * this endpoint drains, and while keep-alive is stopped for a new generation's
	 * probation.
	 * @return whether connections are being closed
	 */
	boolean closesConnections() {
		return this.draining || this.keepAliveStopped;
	}

	/** Requests in the servlet container right now (0 before the adapter is set). */
	int requestsInService() {
		DrainingAdapter adapter = this.adapter;
		return (adapter != null) ? adapter.inService() : 0;
	}

	void setDrainingAdapter(DrainingAdapter adapter) {
		this.adapter = adapter;
	}

	@Override
	public void setHandler(Handler<NioChannel> handler) {
		super.setHandler((handler != null) ? new DiscardingHandler(handler, this) : null);
	}

	@Override
	public void setMaxKeepAliveRequests(int maxKeepAliveRequests) {
		this.maxKeepAliveRequests = maxKeepAliveRequests;
		super.setMaxKeepAliveRequests(maxKeepAliveRequests);
	}

	/**
	 * Tomcat turns keep-alive off for every request once the listener is closed, so a
	 * request pipelined behind the first one read would get no answer. While it drains,
	 * this endpoint keeps the configured value, and {@link DrainingAdapter} closes each
	 * connection after the last request read on it.
	 */
	@Override
	public int getMaxKeepAliveRequests() {
		return this.draining ? this.maxKeepAliveRequests : super.getMaxKeepAliveRequests();
	}

	/**
	 * After a deliberate close the acceptor has already been told to stop or pause
	 * (Tomcat sets that before unlocking it), so it destroys whatever it gets without an
	 * error.
	 */
	private SocketChannel placeholder() throws IOException {
		return SocketChannel.open();
	}

	@Override
	protected void unlockAccept() {
		if (this.delegating) {
			super.unlockAccept();
			return;
		}
		closeListener();
	}

	@Override
	protected void doCloseServerSocket() throws IOException {
		if (this.delegating) {
			super.doCloseServerSocket();
			return;
		}
		closeListener();
		this.listener = null;
	}

	private void closeListener() {
		ServerListener handle = this.listener;
		if (handle != null) {
			try {
				handle.close();
			}
			catch (IOException ex) {
				getLog().warn("Unable to close listener " + handle + ": " + ex.getMessage());
			}
		}
	}

	/**
	 * Reports the address the socket really listens on, whatever the JDK channel
	 * believes.
	 */
	private static final class RealAddressChannel implements NetworkChannel {

		private final ServerListener handle;

		RealAddressChannel(ServerListener handle) {
			this.handle = handle;
		}

		@Override
		public NetworkChannel bind(SocketAddress local) {
			throw new UnsupportedOperationException("Already bound");
		}

		@Override
		public InetSocketAddress getLocalAddress() {
			return this.handle.localAddress();
		}

		@Override
		public <T> NetworkChannel setOption(SocketOption<T> name, T value) throws IOException {
			this.handle.channel().setOption(name, value);
			return this;
		}

		@Override
		public <T> T getOption(SocketOption<T> name) throws IOException {
			return this.handle.channel().getOption(name);
		}

		@Override
		public Set<SocketOption<?>> supportedOptions() {
			return this.handle.channel().supportedOptions();
		}

		@Override
		public boolean isOpen() {
			return !this.handle.isClosed();
		}

		@Override
		public void close() throws IOException {
			this.handle.close();
		}

	}

}
