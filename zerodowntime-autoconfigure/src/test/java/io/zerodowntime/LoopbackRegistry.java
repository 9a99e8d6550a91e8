package io.zerodowntime;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.ServerSocketChannel;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.zerodowntime.server.DrainTarget;
import io.zerodowntime.server.ListenerRegistry;
import io.zerodowntime.server.ListenerRequest;
import io.zerodowntime.server.ServerListener;

/**
 * The listener registry of the server adapters' tests, in place of the core's: it binds
 * the one listener a server asks for on 127.0.0.1 (an ephemeral port), keeps what it was
 * asked and the drain target the server attached, and holds the accept gate shut until
 * {@link #openGate()}. Open from the start unless {@link #shutGate()} is called.
 */
public final class LoopbackRegistry implements ListenerRegistry {

	private volatile boolean gateOpen = true;

	private volatile Listener listener;

	private volatile ListenerRequest claimed;

	@Override
	public void plan(List<ListenerRequest> requests) {
	}

	@Override
	public ServerListener claim(ListenerRequest request, int backlog, SocketConfigurer configurer) throws IOException {
		this.claimed = request;
		ServerSocketChannel channel = ServerSocketChannel.open();
		ServerSocket socket = channel.socket();
		configurer.configure(socket);
		socket.bind(new InetSocketAddress("127.0.0.1", 0), backlog);
		this.listener = new Listener(request.name(), channel);
		return this.listener;
	}

	@Override
	public void awaitAcceptGate(ServerListener listener) throws InterruptedException {
		while (!this.gateOpen && !listener.isClosed()) {
			TimeUnit.MILLISECONDS.sleep(10);
		}
	}

	/** Hold the server's acceptor at the gate from now on. */
	public void shutGate() {
		this.gateOpen = false;
	}

	/** Let the server's acceptor accept. */
	public void openGate() {
		this.gateOpen = true;
	}

	/**
	 * The listener the server claimed.
	 * @return it, or {@code null} before the claim
	 */
	public Listener listener() {
		return this.listener;
	}

	/**
	 * What the server asked for.
	 * @return the request, or {@code null} before the claim
	 */
	public ListenerRequest claimed() {
		return this.claimed;
	}

	/** A listener bound by this registry. */
	public static final class Listener implements ServerListener {

		private final String name;

		private final InetSocketAddress address;

		private volatile ServerSocketChannel channel;

		private volatile boolean closed;

		private volatile DrainTarget drainTarget;

		Listener(String name, ServerSocketChannel channel) throws IOException {
			this.name = name;
			this.channel = channel;
			this.address = (InetSocketAddress) channel.getLocalAddress();
		}

		@Override
		public String name() {
			return this.name;
		}

		@Override
		public ServerSocketChannel channel() {
			return this.channel;
		}

		/**
		 * Accept on another channel from now on, as after a suspension (the core's is the
		 * same socket; here it is another one, on another port).
		 * @param channel the channel
		 */
		public void replaceChannel(ServerSocketChannel channel) {
			this.channel = channel;
		}

		@Override
		public InetSocketAddress localAddress() {
			return this.address;
		}

		/**
		 * The listener's port.
		 * @return the port
		 */
		public int port() {
			return this.address.getPort();
		}

		@Override
		public boolean inherited() {
			return false;
		}

		@Override
		public boolean isClosed() {
			return this.closed;
		}

		@Override
		public void close() throws IOException {
			this.closed = true;
			this.channel.close();
		}

		@Override
		public void attach(DrainTarget drainTarget) {
			this.drainTarget = drainTarget;
		}

		/**
		 * The drain target the server attached.
		 * @return it, or {@code null} before the server attached one
		 */
		public DrainTarget drainTarget() {
			return this.drainTarget;
		}

	}

}
