package io.zerodowntime.tomcat;

import java.io.IOException;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.zerodowntime.RawHttp.Received;
import io.zerodowntime.RawHttp2;
import io.zerodowntime.RawHttp2.Frame;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static io.zerodowntime.RawHttp.get;
import static io.zerodowntime.RawHttp.readResponse;
import static io.zerodowntime.RawHttp.readToEnd;
import static io.zerodowntime.RawHttp.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * How a draining {@link InheritableNioEndpoint} treats the connections it holds: a real
 * Tomcat in this JVM, drained as the core drains it, and raw sockets as clients.
 */
class InheritableNioEndpointDrainTests {

	private DrainingTomcat tomcat;

	private final List<Socket> clients = new ArrayList<>();

	@BeforeEach
	void startTomcat() throws Exception {
		this.tomcat = new DrainingTomcat();
	}

	@AfterEach
	void stopTomcat() throws Exception {
		for (Socket client : this.clients) {
			client.close();
		}
		this.tomcat.close();
	}

	@Test
	void requestsPipelinedBehindOneInFlightAreAllAnsweredAndOnlyTheLastReadClosesTheConnection() throws Exception {
		Socket client = connect();
		send(client, get("/slow") + get("/fast?2") + get("/fast?3"));
		assertThat(this.tomcat.slowStarted.await(10, TimeUnit.SECONDS)).isTrue();
		this.tomcat.drainTarget().stopAccepting();
		this.tomcat.releaseSlow();
		Received received = readToEnd(client);
		assertThat(received.failure()).as("the connection ends with a FIN, not a reset").isNull();
		assertThat(received.responses()).hasSize(3);
		assertThat(received.responses().get(0)).contains("ok /slow").doesNotContain("Connection: close");
		assertThat(received.responses().get(1)).contains("ok /fast?2").doesNotContain("Connection: close");
		assertThat(received.responses().get(2)).contains("ok /fast?3").contains("Connection: close");
	}

	@Test
	void requestsPipelinedOnAnIdleConnectionDuringTheDrainAreAllAnswered() throws Exception {
		Socket client = connect();
		send(client, get("/fast?1"));
		assertThat(readResponse(client.getInputStream())).contains("ok /fast?1").doesNotContain("Connection: close");
		this.tomcat.drainTarget().stopAccepting();
		send(client, get("/fast?2") + get("/fast?3") + get("/fast?4"));
		Received received = readToEnd(client);
		assertThat(received.failure()).isNull();
		assertThat(received.responses()).hasSize(3);
		assertThat(received.responses().get(2)).contains("ok /fast?4").contains("Connection: close");
		assertThat(received.responses().subList(0, 2)).noneMatch((response) -> response.contains("Connection: close"));
	}

	@Test
	void anIdleKeepAliveConnectionStaysOpenAndItsNextRequestIsAnsweredWithConnectionClose() throws Exception {
		Socket client = connect();
		send(client, get("/fast?1"));
		assertThat(readResponse(client.getInputStream())).contains("ok /fast?1");
		this.tomcat.drainTarget().stopAccepting();
		assertThat(this.tomcat.drainTarget().openConnections()).as("idle, not closed").isEqualTo(1);
		send(client, get("/fast?2"));
		Received received = readToEnd(client);
		assertThat(received.failure()).isNull();
		assertThat(received.responses()).singleElement()
			.asString()
			.contains("ok /fast?2")
			.contains("Connection: close");
		await().atMost(10, TimeUnit.SECONDS).until(() -> this.tomcat.drainTarget().openConnections() == 0);
	}

	@Test
	void anHttp2StreamThatArrivesAWhileAfterTheFirstGoawayIsStillAnswered() throws Exception {
		RawHttp2 h2 = RawHttp2.open(connect());
		h2.get(1, "/fast?1");
		h2.readUntil((frame) -> frame.ends(1));
		this.tomcat.drainTarget().stopAccepting();
		Frame first = h2.readUntil(Frame::isGoAway);
		assertThat(first.lastStreamId()).as("the first GOAWAY refuses no stream: %s", h2.seen())
			.isEqualTo(Integer.MAX_VALUE);
		// a client on a loaded host reads the GOAWAY late, and sends its next request
		// first: far beyond the loopback round trip Tomcat measured
		Thread.sleep(300);
		h2.get(3, "/fast?3");
		Frame end = h2.readUntil((frame) -> frame.ends(3) || (frame.isLastGoAway() && frame.lastStreamId() < 3));
		assertThat(end.isGoAway()).as("a GOAWAY that refuses the stream: %s", h2.seen()).isFalse();
		assertThat(h2.body(3)).as("the stream's answer: %s", h2.seen()).isEqualTo("ok /fast?3");
	}

	@Test
	void atTheDeadlineIdleConnectionsAreClosedCleanlyAndARunningRequestIsCut() throws Exception {
		Socket idle = connect();
		send(idle, get("/fast?1"));
		assertThat(readResponse(idle.getInputStream())).contains("ok /fast?1");
		// the request leaves the count just after the client has its response
		await().atMost(10, TimeUnit.SECONDS).until(() -> this.tomcat.requestsInService() == 0);
		Socket running = connect();
		send(running, get("/slow"));
		assertThat(this.tomcat.slowStarted.await(10, TimeUnit.SECONDS)).isTrue();
		this.tomcat.drainTarget().stopAccepting();
		assertThat(this.tomcat.drainTarget().openConnections()).isEqualTo(2);
		assertThat(this.tomcat.drainTarget().closeConnections()).as("requests cut").isEqualTo(1);
		Received idleEnd = readToEnd(idle);
		assertThat(idleEnd.failure()).as("a FIN, not a reset").isNull();
		assertThat(idleEnd.responses()).isEmpty();
		assertThat(readToEnd(running).responses()).as("the request was cut").isEmpty();
	}

	@Test
	void atTheDeadlineAnEventStreamIsCompletedAndALongPollIsCut() throws Exception {
		Socket events = connect();
		send(events, get("/events"));
		Socket poll = connect();
		send(poll, get("/poll"));
		assertThat(this.tomcat.streamsStarted.await(10, TimeUnit.SECONDS)).isTrue();
		this.tomcat.drainTarget().stopAccepting();
		assertThat(this.tomcat.drainTarget().closeConnections()).as("requests cut: the long poll").isEqualTo(1);
		Received stream = readToEnd(events);
		assertThat(stream.failure()).as("a FIN, not a reset").isNull();
		assertThat(stream.text()).contains("data:first").as("the end of the chunked response").endsWith("0\r\n\r\n");
		assertThat(readToEnd(poll).responses()).as("the long poll was cut").isEmpty();
	}

	private Socket connect() throws IOException {
		Socket socket = new Socket("127.0.0.1", this.tomcat.port());
		socket.setSoTimeout(10000);
		this.clients.add(socket);
		return socket;
	}

}
