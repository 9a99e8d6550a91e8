package io.zerodowntime.netty;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.zerodowntime.LoopbackRegistry;
import io.zerodowntime.server.DrainTarget;
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

	final LoopbackRegistry registry = new LoopbackRegistry();

	final CountDownLatch slowStarted = new CountDownLatch(1);

	private final CountDownLatch slowRelease = new CountDownLatch(1);

	private final DisposableServer server;

	DrainingNetty(boolean gateOpen) {
		if (!gateOpen) {
			this.registry.shutGate();
		}
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
		return this.registry.listener().port();
	}

	int serverPort() {
		return this.server.port();
	}

	DrainTarget drainTarget() {
		return this.registry.listener().drainTarget();
	}

	void openGate() {
		this.registry.openGate();
	}

	/**
	 * Suspend accepting as the core does for a new generation's probation: shut the gate
	 * and close the listener's channel, not the listener.
	 */
	void suspend() throws IOException {
		this.registry.shutGate();
		this.registry.listener().channel().close();
	}

	/**
	 * Resume accepting on a new channel (the core's is on the same socket; here it is a
	 * new one on another port), and open the gate.
	 * @return the new port
	 */
	int resumeOnANewChannel() throws IOException {
		ServerSocketChannel channel = ServerSocketChannel.open();
		channel.bind(new InetSocketAddress("127.0.0.1", 0));
		this.registry.listener().replaceChannel(channel);
		this.registry.openGate();
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

}
