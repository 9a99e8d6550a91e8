package io.zerodowntime.autoconfigure;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import io.zerodowntime.Upgrader;
import io.zerodowntime.server.ListenerRegistry;
import io.zerodowntime.server.ListenerRequest;
import io.zerodowntime.server.ServerListener;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.web.server.Shutdown;
import org.springframework.http.client.ReactorResourceFactory;
import org.springframework.mock.env.MockEnvironment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;

/**
 * The Reactor Netty glue: applies to reactive applications only, and customizes the Netty
 * factory as the adapter needs.
 */
class ReactorNettyAdapterConfigurationTests {

	private final ReactiveWebApplicationContextRunner reactive = new ReactiveWebApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(ZeroDowntimeAutoConfiguration.class));

	@Test
	void aReactiveApplicationGetsTheUpgraderAndTheNettyCustomizerButNoServletBeans() {
		this.reactive.withPropertyValues("zerodowntime.enabled=true")
			.run((context) -> assertThat(context).hasNotFailed()
				.hasSingleBean(Upgrader.class)
				.hasSingleBean(InheritableNettyCustomizer.class)
				.doesNotHaveBean(InheritableConnectorCustomizer.class)
				.doesNotHaveBean(ServerErrorCounter.class));
	}

	@Test
	void aReactiveApplicationIsLeftAloneByDefault() {
		this.reactive.run((context) -> assertThat(context).doesNotHaveBean(InheritableNettyCustomizer.class)
			.doesNotHaveBean(Upgrader.class));
	}

	@Test
	void aServletApplicationGetsNoNettyCustomizer() {
		new WebApplicationContextRunner().withConfiguration(AutoConfigurations.of(ZeroDowntimeAutoConfiguration.class))
			.withPropertyValues("zerodowntime.enabled=true")
			.run((context) -> assertThat(context).hasSingleBean(InheritableConnectorCustomizer.class)
				.doesNotHaveBean(InheritableNettyCustomizer.class));
	}

	@Test
	void customizerTakesOverTheLoopsAndTheGracefulShutdownAndAnnouncesTheManagementListener() {
		NettyReactiveWebServerFactory factory = new NettyReactiveWebServerFactory(8080);
		factory.setResourceFactory(new ReactorResourceFactory());
		Planned registry = new Planned();
		MockEnvironment environment = new MockEnvironment().withProperty("management.server.port", "8081");
		@SuppressWarnings("unchecked")
		ObjectProvider<ReactorResourceFactory> resources = mock(ObjectProvider.class);
		new InheritableNettyCustomizer("http", environment, registry, resources, true).customize(factory);
		assertThat(factory.getShutdown()).as("the drain replaces Boot's graceful shutdown")
			.isEqualTo(Shutdown.IMMEDIATE);
		assertThat(factory.getServerCustomizers()).as("the adapter, applied last").hasSize(1);
		assertThat(registry.planned).extracting(ListenerRequest::name).containsExactly("http", "management");
		assertThat(registry.planned).extracting(ListenerRequest::port).containsExactly(8080, 8081);
	}

	@Test
	void theManagementCustomizerAnnouncesNothing() {
		NettyReactiveWebServerFactory factory = new NettyReactiveWebServerFactory(8081);
		Planned registry = new Planned();
		@SuppressWarnings("unchecked")
		ObjectProvider<ReactorResourceFactory> resources = mock(ObjectProvider.class);
		new InheritableNettyCustomizer("management", new MockEnvironment(), registry, resources, false)
			.customize(factory);
		assertThat(registry.planned).isEmpty();
	}

	/** Records what is planned; claims nothing. */
	static final class Planned implements ListenerRegistry {

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
