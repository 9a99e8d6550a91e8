package io.zerodowntime.sample;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.ApplicationListener;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.stereotype.Component;

/**
 * Makes a release bad on purpose, so the checks can prove a bad release never costs a
 * request: {@code sample.fail-on-start=true} throws during context refresh;
 * {@code sample.hang-on-start=true} never finishes starting;
 * {@code sample.exit-after-web-server=true} dies after its web server started but before
 * the application is ready; {@code sample.hang-on-stop=true} registers a JVM shutdown
 * hook that never returns, so the generation never finishes exiting. The checks set them
 * in an extra config file the next generation reads
 * ({@code --spring.config.additional-location=optional:file:...}).
 */
@Component
class StartupFaults implements InitializingBean, ApplicationListener<WebServerInitializedEvent> {

	@Value("${sample.fail-on-start:false}")
	private boolean failOnStart;

	@Value("${sample.hang-on-start:false}")
	private boolean hangOnStart;

	@Value("${sample.exit-after-web-server:false}")
	private boolean exitAfterWebServer;

	@Value("${sample.hang-on-stop:false}")
	private boolean hangOnStop;

	@Override
	public void afterPropertiesSet() throws InterruptedException {
		if (this.hangOnStop) {
			Runtime.getRuntime().addShutdownHook(new Thread(StartupFaults::hangForever, "sample-hang-on-stop"));
		}
		if (this.failOnStart) {
			throw new IllegalStateException("sample.fail-on-start=true: this release refuses to start");
		}
		if (this.hangOnStart) {
			Thread.sleep(Long.MAX_VALUE);
		}
	}

	private static void hangForever() {
		System.err.println("sample.hang-on-stop=true: this shutdown hook never returns");
		try {
			Thread.sleep(Long.MAX_VALUE);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	@Override
	public void onApplicationEvent(WebServerInitializedEvent event) {
		if (this.exitAfterWebServer) {
			Runtime.getRuntime().halt(3);
		}
	}

}
