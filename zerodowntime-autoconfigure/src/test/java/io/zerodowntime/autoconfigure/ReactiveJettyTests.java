package io.zerodowntime.autoconfigure;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.zerodowntime.RawHttp;
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

import static io.zerodowntime.RawHttp.get;
import static io.zerodowntime.RawHttp.readResponse;
import static io.zerodowntime.RawHttp.readToEnd;
import static io.zerodowntime.RawHttp.send;
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
				RawHttp.Received ended = readToEnd(client);
				assertThat(ended.failure()).as("a FIN, not a reset").isNull();
				String received = ended.text();
				List<String> responses = ended.responses();
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
