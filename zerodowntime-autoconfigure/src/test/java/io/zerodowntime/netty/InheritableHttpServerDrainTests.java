package io.zerodowntime.netty;

import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.zerodowntime.RawHttp.Received;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static io.zerodowntime.RawHttp.get;
import static io.zerodowntime.RawHttp.readResponse;
import static io.zerodowntime.RawHttp.readToEnd;
import static io.zerodowntime.RawHttp.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * How a draining Reactor Netty server ({@link InheritableHttpServer}) treats the
 * connections it holds: a real server in this JVM, drained as the core drains it, raw
 * sockets as clients.
 */
class InheritableHttpServerDrainTests {

	private DrainingNetty netty;

	private final List<Socket> clients = new ArrayList<>();

	@BeforeEach
	void startNetty() {
		this.netty = new DrainingNetty(true);
	}

	@AfterEach
	void stopNetty() throws Exception {
		for (Socket client : this.clients) {
			client.close();
		}
		this.netty.close();
	}

	@Test
	void requestsPipelinedBehindOneInFlightAreAllAnsweredAndOnlyTheLastReadClosesTheConnection() throws Exception {
		Socket client = connect();
		send(client, get("/slow") + get("/fast?2") + get("/fast?3"));
		assertThat(this.netty.slowStarted.await(10, TimeUnit.SECONDS)).isTrue();
		this.netty.drainTarget().stopAccepting();
		this.netty.releaseSlow();
		Received received = readToEnd(client);
		assertThat(received.failure()).as("the connection ends with a FIN, not a reset").isNull();
		assertThat(received.responses()).hasSize(3);
		assertThat(received.responses().get(0)).contains("ok /slow").doesNotContainIgnoringCase("connection: close");
		assertThat(received.responses().get(1)).contains("ok /fast?2").doesNotContainIgnoringCase("connection: close");
		assertThat(received.responses().get(2)).contains("ok /fast?3").containsIgnoringCase("connection: close");
	}

	@Test
	void requestsPipelinedOnAnIdleConnectionDuringTheDrainAreAllAnswered() throws Exception {
		Socket client = connect();
		send(client, get("/fast?1"));
		assertThat(readResponse(client.getInputStream())).contains("ok /fast?1")
			.doesNotContainIgnoringCase("connection: close");
		this.netty.drainTarget().stopAccepting();
		send(client, get("/fast?2") + get("/fast?3") + get("/fast?4"));
		Received received = readToEnd(client);
		assertThat(received.failure()).isNull();
		assertThat(received.responses()).hasSize(3);
		assertThat(received.responses().get(2)).contains("ok /fast?4").containsIgnoringCase("connection: close");
		assertThat(received.responses().subList(0, 2))
			.noneMatch((response) -> response.toLowerCase().contains("connection: close"));
	}

	@Test
	void anIdleKeepAliveConnectionStaysOpenAndItsNextRequestIsAnsweredWithConnectionClose() throws Exception {
		Socket client = connect();
		send(client, get("/fast?1"));
		assertThat(readResponse(client.getInputStream())).contains("ok /fast?1");
		this.netty.drainTarget().stopAccepting();
		assertThat(this.netty.drainTarget().openConnections()).as("idle, not closed").isEqualTo(1);
		send(client, get("/fast?2"));
		Received received = readToEnd(client);
		assertThat(received.failure()).isNull();
		assertThat(received.responses()).singleElement()
			.asString()
			.contains("ok /fast?2")
			.containsIgnoringCase("connection: close");
		await().atMost(10, TimeUnit.SECONDS).until(() -> this.netty.drainTarget().openConnections() == 0);
	}

	@Test
	void atTheDeadlineIdleConnectionsAreClosedCleanlyAndARunningRequestIsCut() throws Exception {
		Socket idle = connect();
		send(idle, get("/fast?1"));
		assertThat(readResponse(idle.getInputStream())).contains("ok /fast?1");
		Socket running = connect();
		send(running, get("/slow"));
		assertThat(this.netty.slowStarted.await(10, TimeUnit.SECONDS)).isTrue();
		this.netty.drainTarget().stopAccepting();
		assertThat(this.netty.drainTarget().openConnections()).isEqualTo(2);
		assertThat(this.netty.drainTarget().closeConnections()).as("requests cut").isEqualTo(1);
		Received idleEnd = readToEnd(idle);
		assertThat(idleEnd.failure()).as("a FIN, not a reset").isNull();
		assertThat(idleEnd.responses()).isEmpty();
		assertThat(readToEnd(running).responses()).as("the request was cut").isEmpty();
	}

	@Test
	void noConnectionIsServedBeforeTheGateOpensAndTheListenerIsClaimedForTheServersAddress() throws Exception {
		this.netty.close();
		this.netty = new DrainingNetty(false);
		assertThat(this.netty.registry.claimed().name()).isEqualTo("http");
		assertThat(this.netty.registry.claimed().address().getHostAddress()).isEqualTo("127.0.0.1");
		assertThat(this.netty.serverPort()).as("the port the server reports").isEqualTo(this.netty.port());
		Socket client = connect();
		send(client, get("/fast?gated"));
		client.setSoTimeout(500);
		assertThatExceptionOfType(SocketTimeoutException.class).as("no answer while the gate is shut")
			.isThrownBy(() -> client.getInputStream().read());
		assertThat(this.netty.drainTarget().openConnections()).as("not accepted").isZero();
		this.netty.openGate();
		client.setSoTimeout(10000);
		assertThat(readResponse(client.getInputStream())).contains("ok /fast?gated");
		assertThat(this.netty.drainTarget().openConnections()).isEqualTo(1);
	}

	@Test
	void whileKeepAliveIsStoppedTheNextResponseClosesTheConnectionAndNewOnesAreStillServed() throws Exception {
		Socket client = connect();
		this.netty.drainTarget().keepAlive(false);
		send(client, get("/fast?1"));
		Received received = readToEnd(client);
		assertThat(received.failure()).isNull();
		assertThat(received.responses()).singleElement().asString().containsIgnoringCase("connection: close");
		this.netty.drainTarget().keepAlive(true);
		Socket next = connect();
		send(next, get("/fast?2") + get("/fast?3"));
		assertThat(readResponse(next.getInputStream())).doesNotContainIgnoringCase("connection: close");
		assertThat(readResponse(next.getInputStream())).contains("ok /fast?3")
			.doesNotContainIgnoringCase("connection: close");
	}

	@Test
	void afterASuspensionItAcceptsAgainFromTheListenersNewChannel() throws Exception {
		Socket before = connect();
		send(before, get("/fast?before"));
		assertThat(readResponse(before.getInputStream())).contains("ok /fast?before");
		this.netty.suspend();
		int port = this.netty.resumeOnANewChannel();
		Socket after = new Socket("127.0.0.1", port);
		after.setSoTimeout(10000);
		this.clients.add(after);
		send(after, get("/fast?after"));
		assertThat(readResponse(after.getInputStream())).contains("ok /fast?after");
		send(before, get("/fast?held"));
		assertThat(readResponse(before.getInputStream())).as("a connection held through the suspension")
			.contains("ok /fast?held");
	}

	private Socket connect() throws IOException {
		Socket socket = new Socket("127.0.0.1", this.netty.port());
		socket.setSoTimeout(10000);
		this.clients.add(socket);
		return socket;
	}

}
