package io.zerodowntime.tomcat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.zerodowntime.Suspension;
import io.zerodowntime.Upgrader;
import io.zerodowntime.server.ServerListener;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.apache.catalina.Context;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static io.zerodowntime.RawHttp.get;
import static io.zerodowntime.RawHttp.readOrTimeout;
import static io.zerodowntime.RawHttp.readResponse;
import static io.zerodowntime.RawHttp.send;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Tomcat adapter through a probation's suspension, in this JVM: while suspended,
 * responses on held connections carry {@code Connection: close} and new connections wait
 * in the backlog; after a resume they are served, with keep-alive again.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SuspendedEndpointTests {

	@TempDir
	Path base;

	private Tomcat tomcat;

	private final List<Socket> clients = new ArrayList<>();

	@AfterEach
	void stop() throws Exception {
		for (Socket client : this.clients) {
			client.close();
		}
		if (this.tomcat != null) {
			this.tomcat.stop();
			this.tomcat.destroy();
		}
	}

	@Test
	void whileSuspendedHeldConnectionsAreClosedAfterTheirResponseAndAResumeServesWhatQueued() throws Exception {
		Upgrader upgrader = Upgrader.builder().handoverPriority(false).build();
		Connector connector = new Connector(InheritableHttp11NioProtocol.class.getName());
		InheritableHttp11NioProtocol protocol = (InheritableHttp11NioProtocol) connector.getProtocolHandler();
		protocol.setListenerRegistry(upgrader.listenerRegistry());
		protocol.setAddress(InetAddress.getLoopbackAddress());
		connector.setPort(0);
		this.tomcat = new Tomcat();
		this.tomcat.setBaseDir(this.base.toString());
		this.tomcat.getService().addConnector(connector);
		this.tomcat.setConnector(connector);
		Context context = this.tomcat.addContext("", this.base.toString());
		Tomcat.addServlet(context, "hello", new HttpServlet() {

			@Override
			protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
				response.getWriter().write("hello");
			}

		});
		context.addServletMappingDecoded("/", "hello");
		this.tomcat.start();
		ServerListener listener = protocol.getListener();
		int port = listener.localAddress().getPort();

		Socket held = connect(port);
		assertThat(exchange(held)).doesNotContainIgnoringCase("Connection: close");
		assertThat(Suspension.suspend(upgrader)).isEqualTo(1);
		assertThat(exchange(held)).as("a held connection after the suspension")
			.containsIgnoringCase("Connection: close");
		Socket waiting = connect(port);
		send(waiting, get("/"));
		waiting.setSoTimeout(500);
		assertThat(readOrTimeout(waiting)).as("nothing accepts while suspended").isNull();
		Suspension.resume(upgrader);
		waiting.setSoTimeout(60_000);
		String answer = readResponse(waiting.getInputStream());
		assertThat(answer).startsWith("HTTP/1.1 200").doesNotContainIgnoringCase("Connection: close");
		assertThat(exchange(waiting)).as("keep-alive again").startsWith("HTTP/1.1 200");
		upgrader.close();
	}

	private Socket connect(int port) throws IOException {
		Socket socket = new Socket();
		this.clients.add(socket);
		socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
		socket.setSoTimeout(60_000);
		return socket;
	}

	/** One GET on a kept-alive connection: its response. */
	private static String exchange(Socket socket) throws IOException {
		send(socket, get("/"));
		return readResponse(socket.getInputStream());
	}

}
