package io.zerodowntime.tomcat;

import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.zerodowntime.LoopbackRegistry;
import io.zerodowntime.server.DrainTarget;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.apache.catalina.Context;
import org.apache.catalina.Wrapper;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.apache.coyote.http2.Http2Protocol;

/**
 * An embedded Tomcat in the test's own JVM whose one connector is an
 * {@link InheritableHttp11NioProtocol} on a listener of a small in-test registry, so a
 * test can drain it as the core would ({@link #drainTarget()}); it speaks HTTP/1.1 and
 * h2c with prior knowledge. {@code GET /fast} answers at once; {@code GET /slow} answers
 * once {@link #releaseSlow()} is called (or after 30 s); {@code GET /events} (an event
 * stream) sends one event and {@code GET /poll} nothing, both asynchronous and never
 * completed by the application.
 */
final class DrainingTomcat implements AutoCloseable {

	private final Tomcat tomcat = new Tomcat();

	private final LoopbackRegistry registry = new LoopbackRegistry();

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
		// h2c with prior knowledge, as server.http2.enabled=true gives
		connector.addUpgradeProtocol(new Http2Protocol());
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
		return this.registry.listener().port();
	}

	int requestsInService() {
		return ((InheritableHttp11NioProtocol) this.tomcat.getConnector().getProtocolHandler()).endpoint()
			.requestsInService();
	}

	DrainTarget drainTarget() {
		return this.registry.listener().drainTarget();
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

}
