package io.zerodowntime.autoconfigure;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;

import org.springframework.boot.web.server.GracefulShutdownCallback;
import org.springframework.boot.web.server.GracefulShutdownResult;
import org.springframework.boot.web.server.WebServer;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.boot.web.server.context.WebServerGracefulShutdownLifecycle;
import org.springframework.context.support.DefaultLifecycleProcessor;
import org.springframework.context.support.GenericApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link ApplicationExit}.
 */
class ApplicationExitTests {

	@Test
	void theGracefulShutdownPhaseDoesNotWaitAgainForARequestTheDrainHasCut() {
		List<String> steps = new CopyOnWriteArrayList<>();
		// a request cut at the drain deadline whose thread is still running: a graceful
		// shutdown would wait for it for the whole phase timeout
		StuckRequestWebServer server = new StuckRequestWebServer(steps);
		WebContext context = new WebContext(server);
		context.registerBean("lifecycleProcessor", DefaultLifecycleProcessor.class, () -> {
			DefaultLifecycleProcessor lifecycle = new DefaultLifecycleProcessor();
			lifecycle.setTimeoutPerShutdownPhase(Duration.ofSeconds(60).toMillis());
			return lifecycle;
		});
		context.registerBean("webServerGracefulShutdown", WebServerGracefulShutdownLifecycle.class,
				() -> new WebServerGracefulShutdownLifecycle(server));
		context.refresh();
		long start = System.nanoTime();
		int code = new ApplicationExit(context).getAsInt();
		assertThat(code).isZero();
		assertThat(context.isActive()).isFalse();
		assertThat(steps).containsExactly("stop", "graceful shutdown: IMMEDIATE");
		assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
	}

	@Test
	void anApplicationWithoutAWebServerIsClosedAsSpringApplicationExitClosesIt() {
		GenericApplicationContext context = new GenericApplicationContext();
		context.refresh();
		assertThat(new ApplicationExit(context).getAsInt()).isZero();
		assertThat(context.isActive()).isFalse();
	}

	/** A servlet web application context, as far as this test needs one. */
	static final class WebContext extends GenericApplicationContext implements WebServerApplicationContext {

		private final WebServer server;

		WebContext(WebServer server) {
			this.server = server;
		}

		@Override
		public WebServer getWebServer() {
			return this.server;
		}

		@Override
		public String getServerNamespace() {
			return null;
		}

	}

	/** Its graceful shutdown completes only once it was stopped, as Tomcat's does. */
	static final class StuckRequestWebServer implements WebServer {

		private final List<String> steps;

		private volatile boolean stopped;

		StuckRequestWebServer(List<String> steps) {
			this.steps = steps;
		}

		@Override
		public void start() {
		}

		@Override
		public void stop() {
			this.stopped = true;
			this.steps.add("stop");
		}

		@Override
		public int getPort() {
			return 8080;
		}

		@Override
		public void shutDownGracefully(GracefulShutdownCallback callback) {
			if (this.stopped) {
				this.steps.add("graceful shutdown: " + GracefulShutdownResult.IMMEDIATE);
				callback.shutdownComplete(GracefulShutdownResult.IMMEDIATE);
			}
		}

	}

}
