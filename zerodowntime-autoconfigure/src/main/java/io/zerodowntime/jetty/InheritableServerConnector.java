package io.zerodowntime.jetty;

import java.io.IOException;
import java.net.InetAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

import io.zerodowntime.server.DrainTarget;
import io.zerodowntime.server.ListenerRegistry;
import io.zerodowntime.server.ListenerRequest;
import io.zerodowntime.server.ServerListener;
import io.zerodowntime.server.UnsupportedServerException;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.SelectorManager;
import org.eclipse.jetty.io.SocketChannelEndPoint;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.ConnectionMetaData;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpStream;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.component.Container;
import org.eclipse.jetty.util.component.Graceful;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * A Jetty {@link ServerConnector} whose listening socket comes from the process's
 * {@link ListenerRegistry}: adopted from a passed descriptor, or bound anew and recorded
 * so it can be passed to the next generation. The Jetty adapter of the server-adapter SPI
 * ({@code io.zerodowntime.server}); it uses nothing else of the core.
 *
 * <p>
 * Its acceptor threads wait at the registry's accept gate before each accept, so a new
 * generation takes no connection before it is ready. It always has at least one acceptor
 * thread (Jetty's selector-based accepting, {@code acceptors=0}, cannot wait at the
 * gate). It never wakes an acceptor by connecting to its own port: it closes its own copy
 * of the socket, which leaves the socket listening for every other holder.
 *
 * <p>
 * When its generation drains, it stops accepting, tells HTTP/2 clients to go away
 * (GOAWAY, streams in progress finish), and on an HTTP/1.1 connection answers every
 * request read after that, pipelined ones included, putting {@code Connection: close} on
 * the response to the last one read; a connection idle between requests stays open until
 * its next request or the drain deadline, when it is closed after what the client sent
 * unread is discarded (a FIN, not a reset), and a request still running is cut.
 *
 * @since 0.1.0
 */
public class InheritableServerConnector extends ServerConnector {

	private volatile String listenerName;

	private volatile ListenerRegistry registry;

	private volatile ServerListener listener;

	private volatile boolean draining;

	/** Whether keep-alive is stopped on the connections held, for a probation. */
	private volatile boolean keepAliveStopped;

	/** Requests between their customization and their completion. */
	private final AtomicInteger inService = new AtomicInteger();

	/** Connections accepted and not yet opened as an end point by a selector. */
	private final AtomicInteger handingOff = new AtomicInteger();

	private final HttpConfiguration.Customizer drainingCustomizer = this::customize;

	/** HTTP/2's GOAWAY, {@code null} without Jetty's HTTP/2 on the class path. */
	private final Http2Drain http2Drain;

	/**
	 * Create a connector with Jetty's defaults: one acceptor, the server's executor,
	 * scheduler and buffer pool.
	 * @param server the server
	 * @param factories the connection factories
	 */
	public InheritableServerConnector(Server server, ConnectionFactory... factories) {
		this(server, null, null, null, -1, -1, factories);
	}

	/**
	 * Create a connector.
	 * @param server the server
	 * @param executor the executor, or {@code null} for the server's thread pool
	 * @param scheduler the scheduler, or {@code null} for the server's
	 * @param bufferPool the buffer pool, or {@code null} for the server's
	 * @param acceptors the number of acceptor threads, -1 for Jetty's default; 0 (accept
	 * in a selector) is raised to 1
	 * @param selectors the number of selectors, -1 for Jetty's default
	 * @param factories the connection factories
	 */
	public InheritableServerConnector(Server server, Executor executor, Scheduler scheduler, ByteBufferPool bufferPool,
			int acceptors, int selectors, ConnectionFactory... factories) {
		super(server, executor, scheduler, bufferPool, (acceptors == 0) ? 1 : acceptors, selectors, factories);
		this.http2Drain = http2Present() ? new Http2Drain(getScheduler()) : null;
		if (this.http2Drain != null) {
			addEventListener(this.http2Drain);
		}
		getSelectorManager().addEventListener(new SelectorManager.AcceptListener() {

			@Override
			public void onAcceptFailed(SelectableChannel channel, Throwable cause) {
				InheritableServerConnector.this.handingOff.decrementAndGet();
			}

		});
	}

	/**
	 * Return whether Jetty's HTTP/2 is on the class path: here, so that nothing loads
	 * {@link Http2Drain} without it.
	 */
	private static boolean http2Present() {
		ClassLoader classLoader = ServerConnector.class.getClassLoader();
		try {
			Class.forName("org.eclipse.jetty.http2.SessionContainer", false, classLoader);
			Class.forName("org.eclipse.jetty.http2.HTTP2Connection", false, classLoader);
			return true;
		}
		catch (ClassNotFoundException | LinkageError ex) {
			return false;
		}
	}

	/**
	 * Set the name this connector's listener is passed under (matched against
	 * {@code LISTEN_FDNAMES}).
	 * @param listenerName the name
	 */
	public void setListenerName(String listenerName) {
		this.listenerName = listenerName;
	}

	/**
	 * Return the name this connector's listener is passed under, {@code null} until it is
	 * set ({@code http} is used then).
	 * @return the name
	 */
	public String getListenerName() {
		return this.listenerName;
	}

	private String name() {
		String name = this.listenerName;
		return (name != null) ? name : "http";
	}

	/**
	 * Set the registry this connector takes its listening socket from.
	 * @param registry the registry ({@code Upgrader.listenerRegistry()})
	 */
	public void setListenerRegistry(ListenerRegistry registry) {
		this.registry = registry;
	}

	/**
	 * Return the listener this connector accepts from, or {@code null} before it is open.
	 * @return the listener
	 */
	public ServerListener getListener() {
		return this.listener;
	}

	@Override
	protected void doStart() throws Exception {
		for (ConnectionFactory factory : getConnectionFactories()) {
			if (factory instanceof HttpConfiguration.ConnectionFactory http) {
				HttpConfiguration configuration = http.getHttpConfiguration();
				if (!configuration.getCustomizers().contains(this.drainingCustomizer)) {
					configuration.addCustomizer(this.drainingCustomizer);
				}
			}
		}
		super.doStart();
	}

	@Override
	protected ServerSocketChannel openAcceptChannel() throws IOException {
		if (isInheritChannel()) {
			throw new UnsupportedServerException(
					"The Jetty connector '" + name()
							+ "' is set to serve on System.inheritedChannel(), which is not handed over to the next "
							+ "generation.",
					"Remove setInheritChannel(true): the starter passes the listening socket itself "
							+ "(systemd socket activation included), or set zerodowntime.enabled=false.");
		}
		ListenerRegistry registry = this.registry;
		if (registry == null) {
			throw new IllegalStateException("The Jetty connector of listener '" + name() + "' has no "
					+ "listener registry: " + InheritableServerConnector.class.getSimpleName() + " is configured by "
					+ "the zerodowntime starter (zerodowntime.enabled=true) on the connectors of Spring Boot's Jetty "
					+ "server; for a connector made elsewhere, call setListenerRegistry(upgrader.listenerRegistry())");
		}
		ListenerRequest request = new ListenerRequest(name(), hostAddress(getHost()), Math.max(getPort(), 0));
		boolean reuseAddress = getReuseAddress();
		boolean reusePort = isReusePort();
		ServerListener handle = registry.claim(request, getAcceptQueueSize(), (socket) -> {
			socket.setReuseAddress(reuseAddress);
			if (reusePort && socket.supportedOptions().contains(StandardSocketOptions.SO_REUSEPORT)) {
				socket.setOption(StandardSocketOptions.SO_REUSEPORT, true);
			}
		});
		handle.channel().configureBlocking(true);
		handle.attach(new Drain());
		this.listener = handle;
		return handle.channel();
	}

	/**
	 * The address a connector's host names, {@code null} for every address: Spring Boot
	 * sets {@code 0.0.0.0} when {@code server.address} is not set.
	 */
	static InetAddress hostAddress(String host) throws IOException {
		if (host == null || host.isEmpty() || host.equals("0.0.0.0")) {
			return null;
		}
		return InetAddress.getByName(host);
	}

	@Override
	public void accept(int acceptorID) throws IOException {
		ServerListener handle = this.listener;
		if (handle == null) {
			super.accept(acceptorID);
			return;
		}
		SocketChannel channel = null;
		while (channel == null) {
			try {
				this.registry.awaitAcceptGate(handle);
			}
			catch (InterruptedException ex) {
				// Jetty interrupts its acceptors to make them look at its state
				// (stopping,
				// shut down); its acceptor loop does that when this returns
				return;
			}
			if (handle.isClosed()) {
				parkAcceptor();
				return;
			}
			try {
				channel = handle.channel().accept();
			}
			catch (ClosedChannelException ex) {
				if (handle.isClosed()) {
					parkAcceptor();
					return;
				}
				if (Thread.currentThread().isInterrupted()) {
					return;
				}
				// suspended for a new generation's probation: the gate is shut, and if
				// this generation resumes, channel() is a new channel on the same socket
			}
		}
		this.handingOff.incrementAndGet();
		try {
			channel.configureBlocking(false);
			configure(channel.socket());
			getSelectorManager().accept(channel);
		}
		catch (IOException | RuntimeException ex) {
			this.handingOff.decrementAndGet();
			channel.close();
			throw ex;
		}
	}

	/**
	 * The listener is closed: the acceptor waits in Jetty's acceptor loop until the
	 * connector stops, instead of spinning on a closed channel.
	 */
	private void parkAcceptor() {
		setAccepting(false);
	}

	@Override
	protected void onEndPointOpened(EndPoint endpoint) {
		super.onEndPointOpened(endpoint);
		this.handingOff.decrementAndGet();
	}

	@Override
	public boolean isOpen() {
		ServerListener handle = this.listener;
		return (handle != null) ? !handle.isClosed() : super.isOpen();
	}

	@Override
	public int getLocalPort() {
		ServerListener handle = this.listener;
		// an adopted socket's JDK channel may report a placeholder address
		return (handle != null && !handle.isClosed()) ? handle.localAddress().getPort() : super.getLocalPort();
	}

	@Override
	public void close() {
		closeListener();
		super.close();
	}

	private void closeListener() {
		ServerListener handle = this.listener;
		if (handle != null) {
			try {
				handle.close();
			}
			catch (IOException ex) {
				LOG.warn("Unable to close listener {}: {}", handle, ex.getMessage());
			}
		}
	}

	/**
	 * Called for every request (HTTP/1 and HTTP/2) as its headers are read: counts it
	 * until it completes, and while this connector drains or keep-alive is stopped, asks
	 * for an HTTP/1 connection to be closed after the last request read on it.
	 */
	private Request customize(Request request, HttpFields.Mutable responseHeaders) {
		if (request.getConnectionMetaData().getConnector() != this) {
			return request;
		}
		this.inService.incrementAndGet();
		Request.addCompletionListener(request, (failure) -> this.inService.decrementAndGet());
		if (closesConnections()) {
			ConnectionMetaData connection = request.getConnectionMetaData();
			HttpVersion version = connection.getHttpVersion();
			// an HTTP/2 stream has no connection header: its connection gets GOAWAY
			if (version == HttpVersion.HTTP_1_1 || version == HttpVersion.HTTP_1_0) {
				if (connection instanceof HttpConnection http) {
					request.addHttpStreamWrapper((stream) -> new CloseAfterLastRead(stream, http));
				}
				else {
					responseHeaders.put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
				}
			}
		}
		return request;
	}

	/**
	 * Puts {@code Connection: close} on a response, as it is committed, only if no byte
	 * of a further request is in the connection's input buffer: a request the client
	 * pipelined behind this one, already read, is answered too (Jetty parses it from the
	 * buffer after this response), and the response to the last request read carries the
	 * close. Jetty reads nothing after that response as a request: it half-closes the
	 * connection and discards what arrives until the client closes its end.
	 */
	private static final class CloseAfterLastRead extends HttpStream.Wrapper {

		private final HttpConnection connection;

		CloseAfterLastRead(HttpStream stream, HttpConnection connection) {
			super(stream);
			this.connection = connection;
		}

		@Override
		public void prepareResponse(HttpFields.Mutable headers) {
			// by now the application has read the request's body (if it did not, Jetty
			// reads and discards the rest after the response, and the next request
			// read closes the connection)
			if (this.connection.isRequestBufferEmpty()) {
				headers.put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
			}
			super.prepareResponse(headers);
		}

	}

	/**
	 * Return whether each connection is closed after the next request read on it: while
	 * this connector drains, and while keep-alive is stopped for a new generation's
	 * probation.
	 * @return whether connections are being closed
	 */
	boolean closesConnections() {
		return this.draining || this.keepAliveStopped;
	}

	/**
	 * Return how many requests are being served right now.
	 * @return the requests read and not completed
	 */
	int inService() {
		return this.inService.get();
	}

	/**
	 * Read and drop what the client sent and nobody read, without waiting for more.
	 * @param channel a non-blocking socket channel, or {@code null}
	 * @return how many bytes were dropped
	 */
	static int discardUnread(SocketChannel channel) {
		if (channel == null || !channel.isOpen() || channel.isBlocking()) {
			return 0;
		}
		ByteBuffer scratch = ByteBuffer.allocate(8192);
		int dropped = 0;
		try {
			int read;
			while ((read = channel.read(scratch)) > 0) {
				dropped += read;
				scratch.clear();
			}
		}
		catch (IOException ex) {
			// closing anyway
		}
		return dropped;
	}

	/** This connector's half of a drain. */
	private final class Drain implements DrainTarget {

		@Override
		public void stopAccepting() {
			InheritableServerConnector connector = InheritableServerConnector.this;
			connector.draining = true;
			closeListener();
			Http2Drain http2 = connector.http2Drain;
			if (http2 != null) {
				// GOAWAY on every HTTP/2 session: open streams finish, new ones go to a
				// new connection
				http2.start(getConnectionFactories());
			}
			for (ConnectionFactory factory : getConnectionFactories()) {
				// anything else of the factories that shuts down gracefully
				Set<Graceful> graceful = new LinkedHashSet<>();
				if (factory instanceof Graceful itself) {
					graceful.add(itself);
				}
				if (factory instanceof Container container) {
					graceful.addAll(container.getContainedBeans(Graceful.class));
				}
				if (http2 != null) {
					graceful.removeIf(Http2Drain::handles);
				}
				graceful.forEach(Graceful::shutdown);
			}
		}

		@Override
		public int openConnections() {
			return getConnectedEndPoints().size() + Math.max(InheritableServerConnector.this.handingOff.get(), 0);
		}

		@Override
		public void keepAlive(boolean allowed) {
			InheritableServerConnector.this.keepAliveStopped = !allowed;
		}

		@Override
		public int closeConnections() {
			int cut = inService();
			for (EndPoint endpoint : getConnectedEndPoints()) {
				if (endpoint instanceof SocketChannelEndPoint socket && discardUnread(socket.getChannel()) > 0) {
					cut++;
				}
				endpoint.close();
			}
			return cut;
		}

	}

}
