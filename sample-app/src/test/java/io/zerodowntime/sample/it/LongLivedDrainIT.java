package io.zerodowntime.sample.it;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A WebSocket and a server-sent-event stream open at a handover stay with the old
 * generation until its drain deadline, and end there properly: the WebSocket with a close
 * frame 1001 (going away), the event stream with the end of its response. Neither counts
 * as a request cut. The clients then reconnect and are served by the new generation.
 */
class LongLivedDrainIT {

	private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(5);

	@TempDir
	Path dir;

	private AppUnderTest app;

	private final HttpClient client = HttpClient.newHttpClient();

	@AfterEach
	void stopEveryGeneration() {
		if (this.app != null) {
			this.app.close();
		}
	}

	@Test
	void aWebSocketAndAnEventStreamEndProperlyAtTheDrainDeadlineAndReconnectToTheNewGeneration() throws Exception {
		this.app = new AppUnderTest(this.dir);
		this.app.start("--zerodowntime.probation=0", "--zerodowntime.drain-timeout=" + DRAIN_TIMEOUT.toSeconds() + "s");
		long gen1 = this.app.awaitGeneration(1);

		Socket socket1 = new Socket();
		WebSocket webSocket1 = connect(socket1);
		assertThat(socket1.next()).isEqualTo("generation 1 pid " + gen1);
		CompletableFuture<Http.Response> events1 = new CompletableFuture<>();
		CompletableFuture<Instant> events1End = new CompletableFuture<>();
		Thread reader = new Thread(() -> {
			try {
				events1.complete(Http.get(this.app.port(), "/events", Duration.ofSeconds(90)));
			}
			catch (RuntimeException ex) {
				events1.completeExceptionally(ex);
			}
			events1End.complete(Instant.now());
		}, "event-stream");
		reader.setDaemon(true);
		reader.start();
		await("gen 1 to hold the WebSocket and the event stream").atMost(Duration.ofSeconds(20))
			.pollInterval(Duration.ofMillis(50))
			.until(() -> Procfs.serverSideInodes(this.app.port())
				.values()
				.stream()
				.filter(Procfs.socketInodes(gen1)::contains)
				.count() >= 2);

		Procfs.signal(gen1, "HUP");
		long gen2 = this.app.awaitGeneration(2);
		Close close = socket1.closed.get(60, TimeUnit.SECONDS);
		Http.Response stream = events1.get(60, TimeUnit.SECONDS);
		Procfs.awaitGone(gen1, Duration.ofSeconds(60));
		Instant drainStart = logTime("Generation 1 \\(pid " + gen1 + "\\) draining");
		long webSocketMillis = Duration.between(drainStart, close.at()).toMillis();
		long streamMillis = Duration.between(drainStart, events1End.get()).toMillis();
		assertThat(close.code()).as("WebSocket close code (%s)", close).isEqualTo(1001);
		assertThat(stream.status()).as(stream.toString()).isEqualTo(200);
		assertThat(stream.text()).as("events from gen 1").contains("data:generation 1 pid " + gen1 + " tick ");
		assertThat(webSocket1.isInputClosed()).isTrue();

		// the clients reconnect: gen 2 serves them
		Socket socket2 = new Socket();
		WebSocket webSocket2 = connect(socket2);
		assertThat(socket2.next()).isEqualTo("generation 2 pid " + gen2);
		webSocket2.sendText("still there?", true).get(10, TimeUnit.SECONDS);
		assertThat(socket2.next()).isEqualTo("still there?");
		webSocket2.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(10, TimeUnit.SECONDS);
		Http.Response events2 = Http.get(this.app.port(), "/events?count=2", Duration.ofSeconds(30));
		assertThat(events2.status()).isEqualTo(200);
		assertThat(events2.text()).contains("data:generation 2 pid " + gen2 + " tick 2");

		long ticks = stream.text().lines().filter((line) -> line.startsWith("data:")).count();
		System.out
			.printf("[figures] drain timeout %d ms: WebSocket closed with %d '%s' %d ms after the drain started; event "
					+ "stream completed after %d events, %d ms after the drain started; both reconnected to gen 2%n",
					DRAIN_TIMEOUT.toMillis(), close.code(), close.reason(), webSocketMillis, ticks, streamMillis);
		assertThat(webSocketMillis).as("the WebSocket lasted until the drain deadline")
			.isGreaterThanOrEqualTo(DRAIN_TIMEOUT.toMillis() - 100);
		assertThat(streamMillis).as("the event stream lasted until the drain deadline")
			.isGreaterThanOrEqualTo(DRAIN_TIMEOUT.toMillis() - 100);
		assertThat(this.app.findLog("Generation 1 \\(pid " + gen1 + "\\): drain timeout .* cut them"))
			.as("gen 1 cut no request")
			.isEmpty();
		this.app.assertOneGenerationServing(2);
	}

	private WebSocket connect(Socket socket) throws Exception {
		return this.client.newWebSocketBuilder()
			.connectTimeout(Duration.ofSeconds(20))
			.buildAsync(URI.create("ws://127.0.0.1:" + this.app.port() + "/ws"), socket)
			.get(30, TimeUnit.SECONDS);
	}

	private Instant logTime(String regex) {
		String line = this.app.awaitLog(".*" + regex, Duration.ofSeconds(10)).group();
		return java.time.OffsetDateTime.parse(line.substring(0, line.indexOf(' '))).toInstant();
	}

	/**
	 * How a WebSocket was closed by the server.
	 *
	 * @param code the status code
	 * @param reason the reason
	 * @param at when the close frame arrived
	 */
	record Close(int code, String reason, Instant at) {

	}

	/** A WebSocket client that keeps the text messages and the close. */
	private static final class Socket implements WebSocket.Listener {

		private final List<String> texts = new ArrayList<>();

		private final StringBuilder partial = new StringBuilder();

		private final CompletableFuture<Close> closed = new CompletableFuture<>();

		private int read;

		@Override
		public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
			synchronized (this.texts) {
				this.partial.append(data);
				if (last) {
					this.texts.add(this.partial.toString());
					this.partial.setLength(0);
				}
			}
			webSocket.request(1);
			return null;
		}

		@Override
		public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
			this.closed.complete(new Close(statusCode, reason, Instant.now()));
			return null;
		}

		@Override
		public void onError(WebSocket webSocket, Throwable error) {
			this.closed.completeExceptionally(error);
		}

		/** Return the next text message, waiting up to 20 s. */
		String next() {
			return await("a WebSocket message").atMost(Duration.ofSeconds(20))
				.pollInterval(Duration.ofMillis(20))
				.until(() -> {
					synchronized (this.texts) {
						return (this.texts.size() > this.read) ? this.texts.get(this.read++) : null;
					}
				}, (text) -> text != null);
		}

	}

}
