package io.zerodowntime.autoconfigure;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import io.zerodowntime.jetty.InheritableServerConnector;
import io.zerodowntime.server.ListenerRegistry;
import io.zerodowntime.server.ListenerRequest;
import io.zerodowntime.server.ServerListener;
import io.zerodowntime.server.UnsupportedServerException;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.jetty.JettyServerCustomizer;
import org.springframework.boot.jetty.servlet.JettyServletWebServerFactory;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.ConfigurableWebServerFactory;
import org.springframework.mock.env.MockEnvironment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatNoException;
import static org.mockito.Mockito.mock;

/**
 * Tests for the Jetty glue ({@link JettyAdapterConfiguration},
 * {@link JettyConnectorCustomizer}) and {@link SupportedServerCheck}.
 */
class JettyAdapterConfigurationTests {

	private final WebApplicationContextRunner contextRunner = new WebApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(ZeroDowntimeAutoConfiguration.class));

	@Test
	void configuresJettyConnectorsWhenJettyIsOnTheClassPath() {
		this.contextRunner.withPropertyValues("zerodowntime.enabled=true")
			.run((context) -> assertThat(context).hasSingleBean(JettyConnectorCustomizer.class)
				.hasSingleBean(SupportedServerCheck.class));
	}

	@Test
	void leavesJettyAloneWithoutIt() {
		this.contextRunner.withPropertyValues("zerodowntime.enabled=true")
			.withClassLoader(new FilteredClassLoader(Server.class))
			.run((context) -> assertThat(context).doesNotHaveBean(JettyConnectorCustomizer.class)
				.hasSingleBean(InheritableConnectorCustomizer.class));
	}

	@Test
	void everyConnectorOfBootsJettyServerTakesItsSocketFromTheRegistryAndTheManagementPortIsPlanned() {
		RecordingRegistry registry = new RecordingRegistry();
		JettyServletWebServerFactory factory = new JettyServletWebServerFactory(8080);
		// an application's extra connector, added by a server customizer
		factory.addServerCustomizers((JettyServerCustomizer) (server) -> {
			ServerConnector admin = new ServerConnector(server);
			admin.setPort(8082);
			server.addConnector(admin);
		});
		MockEnvironment environment = new MockEnvironment().withProperty("management.server.port", "8081");
		new JettyConnectorCustomizer("http", environment, registry, true).customize(factory);
		// the server as Boot's factory makes it, before its customizers run
		Server server = new Server();
		ServerConnector main = new ServerConnector(server);
		main.setPort(8080);
		server.addConnector(main);
		factory.getServerCustomizers().forEach((customizer) -> customizer.customize(server));
		assertThat(server.getConnectors()).allMatch(InheritableServerConnector.class::isInstance);
		assertThat(registry.planned).extracting(ListenerRequest::name)
			.containsExactly("http", "http-8082", "management");
		assertThat(registry.planned).extracting(ListenerRequest::port).containsExactly(8080, 8082, 8081);
	}

	@Test
	void aWebServerWithoutAnAdapterStopsStartupSayingWhatIsSupported() {
		ConfigurableWebServerFactory custom = mock(ConfigurableWebServerFactory.class);
		assertThatExceptionOfType(UnsupportedServerException.class)
			.isThrownBy(() -> new SupportedServerCheck().customize(custom))
			.withMessageContaining(custom.getClass().getName())
			.satisfies((ex) -> {
				FailureAnalysis analysis = new StartupFailureAnalyzer().analyze(ex);
				assertThat(analysis.getDescription()).contains("is not supported by the zerodowntime starter");
				assertThat(analysis.getAction()).contains("Tomcat", "Jetty", "Reactor Netty",
						"zerodowntime.enabled=false");
			});
	}

	@Test
	void bootsTomcatAndJettyFactoriesAndTheirSubclassesAreSupported() {
		SupportedServerCheck check = new SupportedServerCheck();
		assertThatNoException().isThrownBy(() -> check.customize(new TomcatServletWebServerFactory()));
		assertThatNoException().isThrownBy(() -> check.customize(new JettyServletWebServerFactory() {
		}));
	}

	/** Records the plan; claims nothing. */
	static final class RecordingRegistry implements ListenerRegistry {

		final List<ListenerRequest> planned = new ArrayList<>();

		@Override
		public void plan(List<ListenerRequest> requests) {
			this.planned.addAll(requests);
		}

		@Override
		public ServerListener claim(ListenerRequest request, int backlog, SocketConfigurer configurer)
				throws IOException {
			throw new AssertionError("not claiming in this test");
		}

		@Override
		public void awaitAcceptGate(ServerListener listener) {
			throw new AssertionError("not accepting in this test");
		}

	}

}
