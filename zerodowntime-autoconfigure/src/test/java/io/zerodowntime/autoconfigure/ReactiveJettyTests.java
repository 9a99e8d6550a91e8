package io.zerodowntime.autoconfigure;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.zerodowntime.Suspension;
import io.zerodowntime.Upgrader;
import io.zerodowntime.jetty.InheritableServerConnector;
import org.eclipse.jetty.server.Connector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Mono;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jetty.JettyWebServer;
import org.springframework.boot.jetty.autoconfigure.reactive.JettyReactiveWebServerAutoConfiguration;
import org.springframework.boot.jetty.reactive.JettyReactiveWebServerFactory;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.boot.web.server.reactive.context.AnnotationConfigReactiveWebServerApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.server.reactive.HttpHandler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * WebFlux on Jetty ({@code spring-boot-starter-jetty} with WebFlux): Spring Boot's
 * reactive Jetty server, started in this JVM with the starter's auto-configuration, takes
 * its listening socket from the upgrader, serves WebFlux's handler on it, and drains as
 * the servlet Jetty server does: every request pipelined on a held connection is
 * answered, the last one read with {@code Connection: close}, and the connection ends
 * with a FIN.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ReactiveJettyTests {

	private final ReactiveWebApplicationContextRunner contextRunner = new ReactiveWebApplicationContextRunner(
			AnnotationConfigReactiveWebServerApplicationContext::new)
		.withConfiguration(AutoConfigurations.of(JettyReactiveWebServerAutoConfiguration.class,
				ZeroDowntimeAutoConfiguration.class))
		.withUserConfiguration(Handler.class)
		.withPropertyValues("zerodowntime.enabled=true", "server.address=127.0.0.1", "server.port=0");

	@Test
	void bootsReactiveJettyServerTakesItsSocketFromTheUpgraderAndDrainsAnsweringEveryRequestRead() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasNotFailed().hasSingleBean(JettyConnectorCustomizer.class);
			JettyWebServer server = (JettyWebServer) ((WebServerApplicationContext) context
				.getSourceApplicationContext()).getWebServer();
			assertThat(server).isNotNull();
			Connector[] connectors = server.getServer().getConnectors();
			assertThat(connectors).singleElement().isInstanceOf(InheritableServerConnector.class);
			InheritableServerConnector connector = (InheritableServerConnector) connectors[0];
			assertThat(connector.getListenerName()).isEqualTo("http");
			assertThat(connector.getListener()).as("the listener claimed from the upgrader").isNotNull();
			assertThat(server.getPort()).isEqualTo(connector.getListener().localAddress().getPort());

			try (Socket client = new Socket()) {
				client.connect(new InetSocketAddress("127.0.0.1", server.getPort()), 5000);
				client.setSoTimeout(30_000);
				send(client, get("/1"));
				assertThat(readResponse(client.getInputStream())).contains("reactive /1")
					.doesNotContainIgnoringCase("Connection: close");

				Upgrader upgrader = context.getBean(Upgrader.class);
				CompletableFuture<int[]> drained = CompletableFuture
					.supplyAsync(() -> Suspension.drain(upgrader, Duration.ofSeconds(30)));
				await("the drain to stop accepting").atMost(Duration.ofSeconds(30))
					.until(() -> connector.getListener().isClosed());
				send(client, get("/2") + get("/3") + get("/4"));
				String received = readToEnd(client.getInputStream());
				List<String> responses = responses(received);
				assertThat(responses).as(received)
					.satisfiesExactly(
							(second) -> assertThat(second).contains("reactive /2")
								.doesNotContainIgnoringCase("Connection: close"),
							(third) -> assertThat(third).contains("reactive /3")
								.doesNotContainIgnoringCase("Connection: close"),
							(fourth) -> assertThat(fourth).contains("reactive /4")
								.containsIgnoringCase("Connection: close"));
				client.close();
				assertThat(drained.get(60, TimeUnit.SECONDS)).as("connections left, requests cut")
					.containsExactly(0, 0);
			}
		});
	}

	@Test
	void bootsReactiveJettyFactoryIsSupported() {
		new SupportedServerCheck().customize(new JettyReactiveWebServerFactory());
	}

	private static void send(Socket socket, String requests) throws IOException {
		OutputStream out = socket.getOutputStream();
		out.write(requests.getBytes(StandardCharsets.US_ASCII));
		out.flush();
	}

	private static String get(String path) {
		return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
	}

	/** Read one response whose body has a Content-Length. */
	private static String readResponse(InputStream in) throws IOException {
		ByteArrayOutputStream head = new ByteArrayOutputStream();
		while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
			int b = in.read();
			if (b < 0) {
				throw new IOException("EOF in the headers: " + head);
			}
			head.write(b);
		}
		String headers = head.toString(StandardCharsets.US_ASCII);
		int length = 0;
		for (String line : headers.split("\r\n")) {
			if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
				length = Integer.parseInt(line.substring("content-length:".length()).trim());
			}
		}
		return headers + new String(in.readNBytes(length), StandardCharsets.US_ASCII);
	}

	/** Read until the server's FIN; a reset fails the test. */
	private static String readToEnd(InputStream in) throws IOException {
		return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
	}

	private static List<String> responses(String text) {
		List<String> responses = new ArrayList<>();
		int start = text.indexOf("HTTP/1.1 ");
		while (start >= 0) {
			int next = text.indexOf("HTTP/1.1 ", start + 1);
			responses.add(text.substring(start, (next < 0) ? text.length() : next));
			start = next;
		}
		return responses;
	}

	/** A WebFlux handler that answers with the path it was asked for. */
	@Configuration(proxyBeanMethods = false)
	static class Handler {

		@Bean
		HttpHandler httpHandler() {
			return (request, response) -> {
				byte[] body = ("reactive " + request.getURI().getRawPath()).getBytes(StandardCharsets.US_ASCII);
				response.getHeaders().setContentLength(body.length);
				return response.writeWith(Mono.just(response.bufferFactory().wrap(body)));
			};
		}

	}

}
