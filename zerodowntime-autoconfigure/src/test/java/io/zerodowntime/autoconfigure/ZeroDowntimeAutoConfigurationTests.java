package io.zerodowntime.autoconfigure;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import io.zerodowntime.GenerationStartException;
import io.zerodowntime.Upgrader;
import io.zerodowntime.server.ListenerRegistry;
import io.zerodowntime.server.ListenerRequest;
import io.zerodowntime.server.ServerListener;
import io.zerodowntime.server.UnsupportedServerException;
import io.zerodowntime.tomcat.InheritableHttp11NioProtocol;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.mock.env.MockEnvironment;
import org.springframework.test.util.ReflectionTestUtils;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class ZeroDowntimeAutoConfigurationTests {

	/**
	 * A registry that must not be asked for anything: the connectors are never started.
	 */
	private static final ListenerRegistry NO_REGISTRY = new ListenerRegistry() {

		@Override
		public void plan(List<ListenerRequest> requests) {
			throw new AssertionError("not planning in this test");
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

	};

	private final WebApplicationContextRunner contextRunner = new WebApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(ZeroDowntimeAutoConfiguration.class));

	@Test
	void backsOffByDefault() {
		this.contextRunner.run((context) -> assertThat(context).doesNotHaveBean(InheritableConnectorCustomizer.class)
			.doesNotHaveBean(ZeroDowntimeProperties.class));
	}

	@Test
	void backsOffWhenDisabled() {
		this.contextRunner.withPropertyValues("zerodowntime.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(InheritableConnectorCustomizer.class));
	}

	@Test
	void configuresConnectorsWhenEnabled() {
		this.contextRunner.withPropertyValues("zerodowntime.enabled=true")
			.run((context) -> assertThat(context).hasSingleBean(InheritableConnectorCustomizer.class)
				.hasSingleBean(Upgrader.class)
				.hasSingleBean(ZeroDowntimeProperties.class));
	}

	@Test
	void toldWhenTheApplicationIsReady() {
		this.contextRunner.withPropertyValues("zerodowntime.enabled=true")
			.run((context) -> assertThat(context).hasSingleBean(GenerationReadyListener.class));
	}

	@Test
	void bindsTheControlSocketBesideItsPathUntilTheApplicationIsReadyAndRemovesItOnClose(@TempDir Path temp) {
		Path socket = temp.resolve("control.sock");
		this.contextRunner.withPropertyValues("zerodowntime.enabled=true", "zerodowntime.control-socket=" + socket)
			.run((context) -> {
				assertThat(context).hasSingleBean(Upgrader.class);
				assertThat(socket).doesNotExist();
				assertThat(temp.toFile().list()).singleElement()
					.isEqualTo(".control.sock." + ProcessHandle.current().pid() + ".tmp");
			});
		assertThat(temp.toFile().list()).isEmpty();
	}

	@Test
	void aMaximumErrorRatioThatCannotWorkStopsTheApplicationNamingTheProperty() {
		this.contextRunner.withPropertyValues("zerodowntime.enabled=true", "zerodowntime.rollback.max-error-ratio=5")
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure()).rootCause()
					.isInstanceOf(IllegalArgumentException.class)
					.hasMessageContaining("zerodowntime.rollback.max-error-ratio must be at least 0 and below 1")
					.hasMessageContaining("got 5.0");
			});
	}

	@Test
	void aControlSocketPathTakenByAFileStopsTheApplicationWithTheFix(@TempDir Path temp) throws Exception {
		Path taken = java.nio.file.Files.writeString(temp.resolve("control.sock"), "data");
		this.contextRunner.withPropertyValues("zerodowntime.enabled=true", "zerodowntime.control-socket=" + taken)
			.run((context) -> {
				assertThat(context).hasFailed();
				Throwable failure = context.getStartupFailure();
				while (failure.getCause() != null && !(failure instanceof GenerationStartException)) {
					failure = failure.getCause();
				}
				assertThat(failure).isInstanceOf(GenerationStartException.class).hasMessageContaining("is taken");
				assertThat(new StartupFailureAnalyzer().analyze(context.getStartupFailure()).getAction())
					.contains("choose another path");
			});
	}

	@Test
	void anEmptyControlSocketPathStopsTheApplicationSayingSo() {
		this.contextRunner.withPropertyValues("zerodowntime.enabled=true", "zerodowntime.control-socket=")
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(new StartupFailureAnalyzer().analyze(context.getStartupFailure()).getDescription())
					.isEqualTo("zerodowntime.control-socket is set but empty.");
			});
	}

	@Test
	void handoverPriorityIsOnUnlessTurnedOff() {
		this.contextRunner.withPropertyValues("zerodowntime.enabled=true")
			.run((context) -> assertThat(context.getBean(ZeroDowntimeProperties.class).isHandoverPriority()).isTrue());
		this.contextRunner.withPropertyValues("zerodowntime.enabled=true", "zerodowntime.handover-priority=false")
			.run((context) -> assertThat(context.getBean(ZeroDowntimeProperties.class).isHandoverPriority()).isFalse());
	}

	@Test
	void aHandoverNiceValueOutOfRangeStopsTheApplicationNamingTheProperty() {
		this.contextRunner.withPropertyValues("zerodowntime.enabled=true", "zerodowntime.handover-nice=25")
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure()).rootCause()
					.isInstanceOf(IllegalArgumentException.class)
					.hasMessageContaining("zerodowntime.handover-nice must be from 1 to 19")
					.hasMessageContaining("got 25");
			});
	}

	@Test
	void backsOffWithoutTomcat() {
		this.contextRunner.withPropertyValues("zerodowntime.enabled=true")
			.withClassLoader(new FilteredClassLoader(Tomcat.class))
			.run((context) -> assertThat(context).doesNotHaveBean(InheritableConnectorCustomizer.class));
	}

	@Test
	void backsOffOutsideAWebApplication() {
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ZeroDowntimeAutoConfiguration.class))
			.withPropertyValues("zerodowntime.enabled=true")
			.run((context) -> assertThat(context).doesNotHaveBean(InheritableConnectorCustomizer.class));
	}

	@Test
	void backsOffWhenTheUserDefinesTheirOwnBeans() {
		this.contextRunner.withPropertyValues("zerodowntime.enabled=true")
			.withUserConfiguration(UserBeans.class)
			.run((context) -> assertThat(context).getBean(InheritableConnectorCustomizer.class)
				.isSameAs(context.getBean(UserBeans.class).customizer));
	}

	@Test
	void customizerInstallsTheInheritableProtocolAndConvertsAdditionalConnectors() {
		TomcatServletWebServerFactory factory = new TomcatServletWebServerFactory(0);
		Connector additional = new Connector("HTTP/1.1");
		additional.setPort(0);
		additional.setProperty("maxKeepAliveRequests", "7");
		factory.addAdditionalConnectors(additional);
		new InheritableConnectorCustomizer("http", new MockEnvironment(), NO_REGISTRY, false).customize(factory);
		assertThat(factory.getProtocol()).isEqualTo(InheritableHttp11NioProtocol.class.getName());
		assertThat(factory.getAdditionalConnectors()).singleElement().satisfies((connector) -> {
			assertThat(connector.getProtocolHandler()).isInstanceOf(InheritableHttp11NioProtocol.class);
			InheritableHttp11NioProtocol protocol = (InheritableHttp11NioProtocol) connector.getProtocolHandler();
			// Tomcat's getter answers 1 until the endpoint is bound: read what is
			// configured
			Object endpoint = ReflectionTestUtils.invokeMethod(protocol, "getEndpoint");
			assertThat(ReflectionTestUtils.getField(endpoint, "maxKeepAliveRequests")).isEqualTo(7);
			assertThat(protocol.getListenerName()).isEqualTo("http-0");
		});
	}

	@Test
	void customizerRefusesAProtocolItCannotHandOver() {
		TomcatServletWebServerFactory factory = new TomcatServletWebServerFactory(0);
		factory.setProtocol("org.apache.coyote.http11.Http11Nio2Protocol");
		assertThatExceptionOfType(UnsupportedServerException.class)
			.isThrownBy(() -> new InheritableConnectorCustomizer("http", new MockEnvironment(), NO_REGISTRY, false)
				.customize(factory))
			.withMessageContaining("Http11Nio2Protocol")
			.withMessageContaining("zerodowntime.enabled=false");
	}

	@Test
	void planNamesTheManagementServerOnItsOwnPort() {
		TomcatServletWebServerFactory factory = new TomcatServletWebServerFactory(8080);
		MockEnvironment environment = new MockEnvironment().withProperty("management.server.port", "8081")
			.withProperty("management.server.address", "127.0.0.1");
		assertThat(ListenerPlan.requests(factory, environment))
			.satisfiesExactly((main) -> assertThat(main.name()).isEqualTo("http"), (management) -> {
				assertThat(management.name()).isEqualTo("management");
				assertThat(management.port()).isEqualTo(8081);
				assertThat(management.address().getHostAddress()).isEqualTo("127.0.0.1");
			});
	}

	@Test
	void planLeavesOutAManagementServerOnTheMainPort() {
		TomcatServletWebServerFactory factory = new TomcatServletWebServerFactory(8080);
		MockEnvironment environment = new MockEnvironment().withProperty("management.server.port", "8080");
		assertThat(ListenerPlan.requests(factory, environment)).hasSize(1);
	}

	@Configuration(proxyBeanMethods = false)
	static class UserBeans {

		final InheritableConnectorCustomizer customizer = new InheritableConnectorCustomizer("http",
				new MockEnvironment(), NO_REGISTRY, false);

		@Bean
		InheritableConnectorCustomizer userCustomizer() {
			return this.customizer;
		}

	}

}
