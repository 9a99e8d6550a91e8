package io.zerodowntime.netty;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.zerodowntime.server.DrainTarget;
import io.zerodowntime.server.ListenerRegistry;
import io.zerodowntime.server.ListenerRequest;
import io.zerodowntime.server.ServerListener;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * A Reactor Netty server in the test's own JVM made by {@link InheritableHttpServer} on a
 * listener of a small in-test registry, so a test can drain it as the core would
 * ({@link #drainTarget()}) and hold its accept gate. {@code GET /fast} answers at once;
 * {@code GET /slow} answers once {@link #releaseSlow()} is called (or after 30 s).
 */
final class DrainingNetty implements AutoCloseable {

	final Registry registry = new Registry();

	final CountDownLatch slowStarted = new CountDownLatch(1);

	private final CountDownLatch slowRelease = new CountDownLatch(1);

	private final DisposableServer server;

	DrainingNetty(boolean gateOpen) {
		this.registry.gateOpen = gateOpen;
		HttpServer server = HttpServer.create()
			.host("127.0.0.1")
			.port(0)
			.route((routes) -> routes
				.get("/fast", (request, response) -> response.sendString(Mono.just("ok " + request.uri())))
				.get("/slow", (request, response) -> response.sendString(Mono.fromCallable(() -> {
					this.slowStarted.countDown();
					this.slowRelease.await(30, TimeUnit.SECONDS);
					return "ok " + request.uri();
				}).subscribeOn(Schedulers.boundedElastic()))));
		this.server = new InheritableHttpServer(this.registry, "http", () -> null).apply(server)
			.bindNow(Duration.ofSeconds(30));
	}

	int port() {
		return this.registry.listener.localAddress().getPort();
	}

	int serverPort() {
		return this.server.port();
	}

	DrainTarget drainTarget() {
		return this.registry.listener.drainTarget;
	}

	void openGate() {
		this.registry.gateOpen = true;
	}

	/**
	 * Suspend accepting as the core does for a new generation's probation: shut the gate
	 * and close the listener's channel, not the listener.
	 */
	void suspend() throws IOException {
		this.registry.gateOpen = false;
		this.registry.listener.channel.close();
	}

	/**
	 * Resume accepting on a new channel (the core's is on the same socket; here it is a
	 * new one on another port), and open the gate.
	 * @return the new port
	 */
	int resumeOnANewChannel() throws IOException {
		ServerSocketChannel channel = ServerSocketChannel.open();
		channel.bind(new InetSocketAddress("127.0.0.1", 0));
		this.registry.listener.channel = channel;
		this.registry.gateOpen = true;
		return ((InetSocketAddress) channel.getLocalAddress()).getPort();
	}

	void releaseSlow() {
		this.slowRelease.countDown();
	}

	@Override
	public void close() {
		releaseSlow();
		this.server.disposeNow(Duration.ofSeconds(10));
	}

	/** Binds one listener on 127.0.0.1; the gate opens and shuts when told. */
	static final class Registry implements ListenerRegistry {

		volatile boolean gateOpen;

		volatile Listener listener;

		volatile ListenerRequest claimed;

		@Override
		public void plan(List<ListenerRequest> requests) {
		}

		@Override
		public ServerListener claim(ListenerRequest request, int backlog, SocketConfigurer configurer)
				throws IOException {
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

	}

	static final class Listener implements ServerListener {

		private final String name;

		volatile ServerSocketChannel channel;

		private final InetSocketAddress address;

		private volatile boolean closed;

		volatile DrainTarget drainTarget;

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

		@Override
		public InetSocketAddress localAddress() {
			return this.address;
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

	}

}
