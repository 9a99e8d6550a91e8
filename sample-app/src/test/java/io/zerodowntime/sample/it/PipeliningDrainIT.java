package io.zerodowntime.sample.it;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * HTTP/1.1 pipelining across a handover: on a keep-alive connection the old generation
 * holds, requests a client pipelined after the handover are all answered by the old
 * generation, the last one read with {@code Connection: close}, and nothing after it is
 * read: a request sent after that response was written is dropped, and the connection
 * ends with a FIN, not a reset, so the client sends it again to the new generation. The
 * same on Tomcat (sample-app) and on Jetty (sample-jetty, from {@code it.jetty.jar}).
 */
class PipeliningDrainIT {

	@TempDir
	Path dir;

	private AppUnderTest app;

	private final List<Http.Connection> connections = new ArrayList<>();

	@AfterEach
	void stopEveryGeneration() {
		this.connections.forEach(Http.Connection::close);
		if (this.app != null) {
			this.app.close();
		}
	}

	@Test
	void everyPipelinedRequestReadIsAnsweredTheLastWithConnectionCloseAndNothingAfterItIsRead() {
		this.app = new AppUnderTest(this.dir);
		pipeliningAcrossAHandover("Tomcat");
	}

	@Test
	void jettyAnswersThemTheSameWay() {
		this.app = AppUnderTest.of(this.dir, JettyUpgradeIT.jettyJar());
		pipeliningAcrossAHandover("Jetty");
	}

	private void pipeliningAcrossAHandover(String server) {
		this.app.start("--zerodowntime.probation=0", "--zerodowntime.drain-timeout=30s");
		long gen1 = this.app.awaitGeneration(1);
		Http.Connection three = keepAliveConnectionTo(gen1);
		Http.Connection late = keepAliveConnectionTo(gen1);

		Procfs.signal(gen1, "HUP");
		long gen2 = this.app.awaitGeneration(2);
		// gen 1 drains now (no probation), and still holds both connections
		assertThat(Procfs.running(gen1)).as("gen 1 drains").isTrue();

		// three requests in one write: all read together, all answered
		three.send(pipeline("/slow?ms=500", "/", "/"));
		Http.Response first = three.readResponse();
		Http.Response second = three.readResponse();
		Http.Response third = three.readResponse();
		for (Http.Response response : List.of(first, second, third)) {
			assertThat(response.status()).as(response.toString()).isEqualTo(200);
			assertThat(response.header("X-Pid")).as(response.toString()).isEqualTo(Long.toString(gen1));
		}
		assertThat(first.header("Connection")).as("first: %s", first).isNotEqualToIgnoringCase("close");
		assertThat(second.header("Connection")).as("second: %s", second).isNotEqualToIgnoringCase("close");
		assertThat(third.header("Connection")).as("third: %s", third).isEqualToIgnoringCase("close");
		String threeEnd = three.end();
		assertThat(threeEnd).as("after the third response").isEqualTo("EOF");
		// as a client does on a FIN (Jetty waits for it before it closes its end)
		three.close();

		// two requests in one write, a third while the first is served: not read
		late.send(pipeline("/slow?ms=1500", "/"));
		AppUnderTest.sleep(500);
		late.send(pipeline("/?late"));
		Http.Response slow = late.readResponse();
		Http.Response last = late.readResponse();
		assertThat(slow.status()).as(slow.toString()).isEqualTo(200);
		assertThat(slow.header("Connection")).as("slow: %s", slow).isNotEqualToIgnoringCase("close");
		assertThat(last.status()).as(last.toString()).isEqualTo(200);
		assertThat(last.header("Connection")).as("last read: %s", last).isEqualToIgnoringCase("close");
		String lateEnd = late.end();
		assertThat(lateEnd).as("after the last response read (the late request is dropped, not answered)")
			.isEqualTo("EOF");
		late.close();
		// the client sends the unanswered request again, on a new connection
		Http.Response again = Http.get(this.app.port(), "/?late");
		assertThat(again.status()).isEqualTo(200);
		assertThat(again.header("X-Pid")).isEqualTo(Long.toString(gen2));

		Procfs.awaitGone(gen1, Duration.ofSeconds(60));
		System.out.printf(
				"[figures] %s, pipelining across a handover: 3 of 3 pipelined requests answered by gen 1 (the last with "
						+ "Connection: close), then %s; 2 read and answered, the late one dropped, then %s, "
						+ "and answered by gen 2 on a new connection%n",
				server, threeEnd, lateEnd);
		assertThat(this.app.output()).doesNotContain("drain timeout (30000 ms) reached");
		this.app.assertOneGenerationServing(2);
	}

	/** Open a connection and use it once, so the generation holds it idle. */
	private Http.Connection keepAliveConnectionTo(long pid) {
		Http.Connection connection = new Http.Connection(this.app.port(), Duration.ofSeconds(30));
		this.connections.add(connection);
		Http.Response response = connection.get("/");
		assertThat(response.status()).isEqualTo(200);
		assertThat(response.header("X-Pid")).isEqualTo(Long.toString(pid));
		assertThat(response.header("Connection")).isNotEqualToIgnoringCase("close");
		return connection;
	}

	private byte[] pipeline(String... paths) {
		ByteArrayOutputStream requests = new ByteArrayOutputStream();
		for (String path : paths) {
			requests.writeBytes(Http.head("GET", path, this.app.port(), null, -1, true));
		}
		return requests.toByteArray();
	}

}
