package io.zerodowntime.autoconfigure;

import java.util.function.IntSupplier;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.web.server.WebServer;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ApplicationContext;

/**
 * Closes the application once its generation has drained. The web server is stopped
 * first: its connections are all closed by then (the drain closed those left at its
 * deadline), and Spring Boot's graceful shutdown ({@code server.shutdown=graceful}, the
 * default) would otherwise wait again, up to
 * {@code spring.lifecycle.timeout-per-shutdown-phase}, for the threads of requests the
 * drain has cut. Then the context closes as {@link SpringApplication#exit} closes it.
 */
final class ApplicationExit implements IntSupplier {

	private final ApplicationContext context;

	ApplicationExit(ApplicationContext context) {
		this.context = context;
	}

	@Override
	public int getAsInt() {
		if (this.context instanceof WebServerApplicationContext web) {
			WebServer server = web.getWebServer();
			if (server != null) {
				// aborts the graceful shutdown phase that has not started yet
				server.stop();
			}
		}
		return SpringApplication.exit(this.context, () -> 0);
	}

}
