package io.zerodowntime.jetty;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.zerodowntime.LoopbackRegistry;
import io.zerodowntime.RawHttp.Received;
import io.zerodowntime.RawHttp2;
import io.zerodowntime.RawHttp2.Frame;
import io.zerodowntime.Suspension;
import io.zerodowntime.Upgrader;
import io.zerodowntime.server.DrainTarget;
import io.zerodowntime.server.ListenerRegistry;
import io.zerodowntime.server.ListenerRequest;
import io.zerodowntime.server.UnsupportedServerException;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.LocalConnector;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static io.zerodowntime.RawHttp.get;
import static io.zerodowntime.RawHttp.readOrTimeout;
import static io.zerodowntime.RawHttp.readResponse;
import static io.zerodowntime.RawHttp.readToEnd;
import static io.zerodowntime.RawHttp.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * The Jetty adapter in this JVM: a real Jetty server whose connector is an
 * {@link InheritableServerConnector}, raw sockets as clients, drained as the core drains
 * it, suspended and resumed as a probation does.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class InheritableServerConnectorTests {

	private final LoopbackRegistry registry = new LoopbackRegistry();

	private final CountDownLatch slowStarted = new CountDownLatch(1);

	private final CountDownLatch slowRelease = new CountDownLatch(1);

	private final List<Socket> clients = new ArrayList<>();

	private Server server;

	private Upgrader upgrader;

	@AfterEach
	void stop() throws Exception {
		this.slowRelease.countDown();
		for (Socket client : this.clients) {
			client.close();
		}
		if (this.server != null) {
			this.server.stop();
		}
		if (this.upgrader != null) {
			this.upgrader.close();
		}
	}

	@Test
	void theAcceptorWaitsAtTheGateBeforeItAccepts() throws Exception {
		this.registry.shutGate();
		start(this.registry);
		Socket client = connect(this.registry.listener().port());
		send(client, get("/fast?1"));
		client.setSoTimeout(500);
		assertThat(readOrTimeout(client)).as("nothing accepts while the gate is shut").isNull();
		assertThat(drain().openConnections()).isZero();
		this.registry.openGate();
		client.setSoTimeout(60_000);
		assertThat(readResponse(client.getInputStream())).contains("ok /fast?1");
	}

	@Test
	void anIdleKeepAliveConnectionStaysOpenAndItsNextRequestIsAnsweredWithConnectionClose() throws Exception {
		start(this.registry);
		Socket client = connect(this.registry.listener().port());
		send(client, get("/fast?1"));
		assertThat(readResponse(client.getInputStream())).contains("ok /fast?1")
			.doesNotContainIgnoringCase("Connection: close");
		drain().stopAccepting();
		assertThat(this.registry.listener().isClosed()).as("this process's copy of the listener").isTrue();
		assertThat(drain().openConnections()).as("idle, not closed").isEqualTo(1);
		send(client, get("/fast?2"));
		Received received = readToEnd(client);
		assertThat(received.failure()).as("the connection ends with a FIN, not a reset").isNull();
		assertThat(received.responses()).singleElement()
			.asString()
			.contains("ok /fast?2")
			.containsIgnoringCase("Connection: close");
		// Jetty half-closes after Connection: close and reads on until the client closes
		// its end too (what it sends meanwhile is discarded, so no reset)
		client.close();
		await().atMost(10, TimeUnit.SECONDS).until(() -> drain().openConnections() == 0);
	}

	@Test
	void aRequestInServiceWhenTheDrainStartsIsAnsweredAndTheNextOneClosesTheConnection() throws Exception {
		start(this.registry);
		Socket client = connect(this.registry.listener().port());
		send(client, get("/slow"));
		assertThat(this.slowStarted.await(10, TimeUnit.SECONDS)).isTrue();
		drain().stopAccepting();
		this.slowRelease.countDown();
		assertThat(readResponse(client.getInputStream())).contains("ok /slow");
		send(client, get("/fast?2"));
		Received received = readToEnd(client);
		assertThat(received.failure()).isNull();
		assertThat(received.responses()).singleElement()
			.asString()
			.contains("ok /fast?2")
			.containsIgnoringCase("Connection: close");
	}

	@Test
	void everyRequestPipelinedDuringTheDrainIsAnsweredTheLastReadWithConnectionCloseThenAFin() throws Exception {
		start(this.registry);
		Socket client = connect(this.registry.listener().port());
		send(client, get("/fast?1"));
		assertThat(readResponse(client.getInputStream())).contains("ok /fast?1");
		drain().stopAccepting();
		send(client, get("/fast?2") + get("/fast?3") + get("/fast?4"));
		Received received = readToEnd(client);
		assertThat(received.failure()).as("a FIN, not a reset").isNull();
		assertThat(received.responses()).satisfiesExactly(
				(second) -> assertThat(second).contains("ok /fast?2").doesNotContainIgnoringCase("Connection: close"),
				(third) -> assertThat(third).contains("ok /fast?3").doesNotContainIgnoringCase("Connection: close"),
				(fourth) -> assertThat(fourth).contains("ok /fast?4").containsIgnoringCase("Connection: close"));
	}

	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "Content-Length: 5\r\n\r\nhello",
			"Transfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n" })
	void aRequestPipelinedBehindABodyIsAnsweredToo(String body) throws Exception {
		start(this.registry);
		Socket client = accepted();
		drain().stopAccepting();
		send(client, "POST /echo HTTP/1.1\r\nHost: localhost\r\n" + body + get("/fast?2"));
		Received received = readToEnd(client);
		assertThat(received.failure()).isNull();
		assertThat(received.responses()).satisfiesExactly(
				(echo) -> assertThat(echo).contains("ok /echo hello").doesNotContainIgnoringCase("Connection: close"),
				(last) -> assertThat(last).contains("ok /fast?2").containsIgnoringCase("Connection: close"));
	}

	@Test
	void aRequestSentAfterTheLastOneReadIsNotReadAndTheConnectionEndsWithAFin() throws Exception {
		start(this.registry);
		Socket client = accepted();
		drain().stopAccepting();
		send(client, get("/slow") + get("/fast?2"));
		assertThat(this.slowStarted.await(10, TimeUnit.SECONDS)).isTrue();
		// while the first is served: the second was read with it, this one was not
		send(client, get("/fast?late"));
		this.slowRelease.countDown();
		Received received = readToEnd(client);
		assertThat(received.failure()).as("a FIN, not a reset").isNull();
		assertThat(received.responses()).satisfiesExactly(
				(slow) -> assertThat(slow).contains("ok /slow").doesNotContainIgnoringCase("Connection: close"),
				(last) -> assertThat(last).contains("ok /fast?2").containsIgnoringCase("Connection: close"));
	}

	@Test
	void anHttp2StreamSentAsTheDrainStartsOnAConnectionWithNoneOpenIsAnswered() throws Exception {
		start(this.registry, new HttpConnectionFactory(), new HTTP2CServerConnectionFactory());
		RawHttp2 h2 = RawHttp2.open(connect(this.registry.listener().port()));
		drain().stopAccepting();
		h2.get(1, "/fast?h2");
		Frame last = h2.readUntil(Frame::isLastGoAway);
		assertThat(last.lastStreamId()).as("the final GOAWAY covers the stream: %s", h2.seen()).isEqualTo(1);
		assertThat(h2.body(1)).as("the stream's answer: %s", h2.seen()).isEqualTo("ok /fast?h2");
	}

	@Test
	void anHttp2StreamThatCrossesTheFirstGoawayIsAnsweredAndTheLastGoawayComesAfterThePingsAck() throws Exception {
		start(this.registry, new HttpConnectionFactory(), new HTTP2CServerConnectionFactory());
		RawHttp2 h2 = RawHttp2.open(connect(this.registry.listener().port()));
		h2.get(1, "/fast?1");
		h2.readUntil((frame) -> frame.ends(1));
		// the session has no stream open, as between two requests of a client
		drain().stopAccepting();
		int before = h2.seen().size();
		Frame first = h2.readUntil(Frame::isGoAway);
		assertThat(first.lastStreamId()).as("the first GOAWAY refuses no stream: %s", h2.seen())
			.isEqualTo(Integer.MAX_VALUE);
		assertThat(h2.seen().subList(before, h2.seen().size())).as("a PING ahead of the first GOAWAY: %s", h2.seen())
			.noneMatch(Frame::isPing);
		// a request the client sent before this GOAWAY reached it: it arrives after it
		h2.get(3, "/fast?3");
		Frame last = h2.readUntil(Frame::isLastGoAway);
		assertThat(last.lastStreamId()).as("the last GOAWAY covers the stream: %s", h2.seen()).isEqualTo(3);
		assertThat(h2.body(3)).as("the stream's answer: %s", h2.seen()).isEqualTo("ok /fast?3");
	}

	@Test
	void aClientThatNeverAcknowledgesThePingStillGetsTheLastGoaway() throws Exception {
		start(this.registry, new HttpConnectionFactory(), new HTTP2CServerConnectionFactory());
		RawHttp2 h2 = RawHttp2.open(connect(this.registry.listener().port()));
		h2.get(1, "/fast?1");
		h2.readUntil((frame) -> frame.ends(1));
		h2.ignorePings();
		drain().stopAccepting();
		// the last GOAWAY comes after Http2GoAway.ACK_WAIT_MILLIS
		Frame last = h2.readUntil(Frame::isLastGoAway);
		assertThat(last.lastStreamId()).as("the last GOAWAY names the last stream: %s", h2.seen()).isEqualTo(1);
	}

	@Test
	void atTheDeadlineIdleConnectionsAreClosedCleanlyAndARunningRequestIsCut() throws Exception {
		InheritableServerConnector connector = start(this.registry);
		int port = this.registry.listener().port();
		Socket idle = connect(port);
		send(idle, get("/fast?1"));
		assertThat(readResponse(idle.getInputStream())).contains("ok /fast?1");
		// Jetty completes the request just after the client has its response
		await().atMost(10, TimeUnit.SECONDS).until(() -> connector.inService() == 0);
		Socket running = connect(port);
		send(running, get("/slow"));
		assertThat(this.slowStarted.await(10, TimeUnit.SECONDS)).isTrue();
		drain().stopAccepting();
		assertThat(drain().openConnections()).isEqualTo(2);
		assertThat(drain().closeConnections()).as("requests cut").isEqualTo(1);
		Received idleEnd = readToEnd(idle);
		assertThat(idleEnd.failure()).as("a FIN, not a reset").isNull();
		assertThat(idleEnd.responses()).isEmpty();
		assertThat(readToEnd(running).responses()).as("the request was cut").isEmpty();
	}

	@Test
	void whileSuspendedHeldConnectionsAreClosedAfterTheirResponseAndAResumeServesWhatQueued() throws Exception {
		this.upgrader = Upgrader.builder().handoverPriority(false).build();
		InheritableServerConnector connector = start(this.upgrader.listenerRegistry());
		int port = connector.getLocalPort();
		assertThat(port).isEqualTo(connector.getListener().localAddress().getPort());
		Socket held = connect(port);
		send(held, get("/fast?1"));
		assertThat(readResponse(held.getInputStream())).doesNotContainIgnoringCase("Connection: close");
		assertThat(Suspension.suspend(this.upgrader)).isEqualTo(1);
		send(held, get("/fast?2"));
		assertThat(readResponse(held.getInputStream())).as("a held connection after the suspension")
			.containsIgnoringCase("Connection: close");
		Socket waiting = connect(port);
		send(waiting, get("/fast?3"));
		waiting.setSoTimeout(500);
		assertThat(readOrTimeout(waiting)).as("nothing accepts while suspended").isNull();
		Suspension.resume(this.upgrader);
		waiting.setSoTimeout(60_000);
		assertThat(readResponse(waiting.getInputStream())).contains("ok /fast?3")
			.doesNotContainIgnoringCase("Connection: close");
		send(waiting, get("/fast?4"));
		assertThat(readResponse(waiting.getInputStream())).as("keep-alive again").contains("ok /fast?4");
	}

	@Test
	void everyServerConnectorIsReplacedWithItsSettingsAndNamedLikeTomcats() {
		Server server = new Server();
		ServerConnector main = new ServerConnector(server, 1, 1, new HttpConnectionFactory());
		main.setHost("0.0.0.0");
		main.setPort(8080);
		main.setIdleTimeout(1234);
		ServerConnector admin = new ServerConnector(server);
		admin.setHost("127.0.0.1");
		admin.setPort(9090);
		server.setConnectors(new org.eclipse.jetty.server.Connector[] { main, admin });
		server.addBean(new NetworkConnectionLimit(50, server.getConnectors()));
		List<ListenerRequest> requests = InheritableConnectors.apply(server, this.registry, "http");
		assertThat(server.getConnectors()).allMatch(InheritableServerConnector.class::isInstance);
		InheritableServerConnector first = (InheritableServerConnector) server.getConnectors()[0];
		assertThat(first.getIdleTimeout()).isEqualTo(1234);
		assertThat(first.getConnectionFactories()).containsExactlyElementsOf(main.getConnectionFactories());
		assertThat(requests).satisfiesExactly((http) -> {
			assertThat(http.name()).isEqualTo("http");
			assertThat(http.address()).as("0.0.0.0 is every address").isNull();
			assertThat(http.port()).isEqualTo(8080);
		}, (additional) -> {
			assertThat(additional.name()).isEqualTo("http-9090");
			assertThat(additional.address()).isEqualTo(InetAddress.getLoopbackAddress());
		});
		assertThat(server.getBeans(NetworkConnectionLimit.class)).singleElement()
			.satisfies((limit) -> assertThat(limit.getMaxNetworkConnectionCount()).isEqualTo(50));
	}

	@Test
	void aConnectorOfAnotherKindIsRefusedByName() {
		Server server = new Server();
		server.setConnectors(new org.eclipse.jetty.server.Connector[] { new LocalConnector(server) });
		assertThatExceptionOfType(UnsupportedServerException.class)
			.isThrownBy(() -> InheritableConnectors.apply(server, this.registry, "http"))
			.withMessageContaining("LocalConnector")
			.withMessageContaining("ServerConnector")
			.withMessageContaining("zerodowntime.enabled=false");
	}

	private InheritableServerConnector start(ListenerRegistry registry) throws Exception {
		return start(registry, new HttpConnectionFactory());
	}

	private InheritableServerConnector start(ListenerRegistry registry, ConnectionFactory... factories)
			throws Exception {
		this.server = new Server();
		InheritableServerConnector connector = new InheritableServerConnector(this.server, factories);
		connector.setHost("127.0.0.1");
		connector.setPort(0);
		connector.setListenerRegistry(registry);
		this.server.addConnector(connector);
		this.server.setHandler(new Handler.Abstract() {

			@Override
			public boolean handle(Request request, Response response, Callback callback) throws Exception {
				String path = request.getHttpURI().getPathQuery();
				if (path.startsWith("/slow")) {
					InheritableServerConnectorTests.this.slowStarted.countDown();
					InheritableServerConnectorTests.this.slowRelease.await(30, TimeUnit.SECONDS);
				}
				if (path.startsWith("/echo")) {
					path += " " + Content.Source.asString(request, StandardCharsets.US_ASCII);
				}
				response.getHeaders().put("Content-Type", "text/plain");
				response.write(true, ByteBuffer.wrap(("ok " + path).getBytes(StandardCharsets.US_ASCII)), callback);
				return true;
			}

		});
		this.server.start();
		return connector;
	}

	/** A connection the server has accepted (it answered a request on it). */
	private Socket accepted() throws IOException {
		Socket client = connect(this.registry.listener().port());
		send(client, get("/fast?0"));
		assertThat(readResponse(client.getInputStream())).contains("ok /fast?0");
		return client;
	}

	private DrainTarget drain() {
		return this.registry.listener().drainTarget();
	}

	private Socket connect(int port) throws IOException {
		Socket socket = new Socket();
		this.clients.add(socket);
		socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
		socket.setSoTimeout(60_000);
		return socket;
	}

}
