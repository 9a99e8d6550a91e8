package io.zerodowntime.tomcat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.ServerSocketChannel;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.zerodowntime.server.DrainTarget;
import io.zerodowntime.server.ListenerRegistry;
import io.zerodowntime.server.ListenerRequest;
import io.zerodowntime.server.ServerListener;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.apache.catalina.Context;
import org.apache.catalina.Wrapper;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;

/**
 * An embedded Tomcat in the test's own JVM whose one connector is an
 * {@link InheritableHttp11NioProtocol} on a listener of a small in-test registry, so a
 * test can drain it as the core would ({@link #drainTarget()}). {@code GET /fast} answers
 * at once; {@code GET /slow} answers once {@link #releaseSlow()} is called (or after 30
 * s); {@code GET /events} (an event stream) sends one event and {@code GET /poll}
 * nothing, both asynchronous and never completed by the application.
 */
final class DrainingTomcat implements AutoCloseable {

	private final Tomcat tomcat = new Tomcat();

	private final Registry registry = new Registry();

	final CountDownLatch slowStarted = new CountDownLatch(1);

	/**
	 * Counted down by each {@code /events} (an event stream) and {@code /poll} started.
	 */
	final CountDownLatch streamsStarted = new CountDownLatch(2);

	private final CountDownLatch slowRelease = new CountDownLatch(1);

	DrainingTomcat() throws Exception {
		this.tomcat.setBaseDir(java.nio.file.Files.createTempDirectory("draining-tomcat").toString());
		Connector connector = new Connector(InheritableHttp11NioProtocol.class.getName());
		connector.setPort(0);
		connector.setProperty("address", "127.0.0.1");
		// as Spring Boot does
		connector.setProperty("bindOnInit", "false");
		((InheritableHttp11NioProtocol) connector.getProtocolHandler()).setListenerRegistry(this.registry);
		this.tomcat.setConnector(connector);
		Context context = this.tomcat.addContext("", null);
		Tomcat.addServlet(context, "test", new HttpServlet() {

			@Override
			protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
				if (request.getRequestURI().equals("/slow")) {
					DrainingTomcat.this.slowStarted.countDown();
					try {
						DrainingTomcat.this.slowRelease.await(30, TimeUnit.SECONDS);
					}
					catch (InterruptedException ex) {
						Thread.currentThread().interrupt();
					}
				}
				response.setContentType("text/plain");
				String query = request.getQueryString();
				response.getWriter().write("ok " + request.getRequestURI() + ((query != null) ? "?" + query : ""));
			}

		});
		context.addServletMappingDecoded("/*", "test");
		Wrapper streams = Tomcat.addServlet(context, "streams", new HttpServlet() {

			@Override
			protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
				AsyncContext async = request.startAsync();
				async.setTimeout(60_000);
				if (request.getRequestURI().equals("/events")) {
					response.setContentType("text/event-stream");
					response.getWriter().write("data:first\n\n");
					response.flushBuffer();
				}
				DrainingTomcat.this.streamsStarted.countDown();
			}

		});
		streams.setAsyncSupported(true);
		context.addServletMappingDecoded("/events", "streams");
		context.addServletMappingDecoded("/poll", "streams");
		this.tomcat.start();
	}

	int port() {
		return this.registry.listener.localAddress().getPort();
	}

	int requestsInService() {
		return ((InheritableHttp11NioProtocol) this.tomcat.getConnector().getProtocolHandler()).endpoint()
			.requestsInService();
	}

	DrainTarget drainTarget() {
		return this.registry.listener.drainTarget;
	}

	void releaseSlow() {
		this.slowRelease.countDown();
	}

	@Override
	public void close() throws Exception {
		releaseSlow();
		this.tomcat.stop();
		this.tomcat.destroy();
	}

	/** Binds one listener on 127.0.0.1; the gate is always open. */
	static final class Registry implements ListenerRegistry {

		volatile Listener listener;

		@Override
		public void plan(List<ListenerRequest> requests) {
		}

		@Override
		public ServerListener claim(ListenerRequest request, int backlog, SocketConfigurer configurer)
				throws IOException {
			ServerSocketChannel channel = ServerSocketChannel.open();
			ServerSocket socket = channel.socket();
			configurer.configure(socket);
			socket.bind(new InetSocketAddress("127.0.0.1", 0), backlog);
			this.listener = new Listener(request.name(), channel);
			return this.listener;
		}

		@Override
		public void awaitAcceptGate(ServerListener listener) {
		}

	}

	static final class Listener implements ServerListener {

		private final String name;

		private final ServerSocketChannel channel;

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
