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
 * the application is ready. The checks set them in an extra config file the next
 * generation reads ({@code --spring.config.additional-location=optional:file:...}).
 */
@Component
class StartupFaults implements InitializingBean, ApplicationListener<WebServerInitializedEvent> {

	@Value("${sample.fail-on-start:false}")
	private boolean failOnStart;

	@Value("${sample.hang-on-start:false}")
	private boolean hangOnStart;

	@Value("${sample.exit-after-web-server:false}")
	private boolean exitAfterWebServer;

	@Override
	public void afterPropertiesSet() throws InterruptedException {
		if (this.failOnStart) {
			throw new IllegalStateException("sample.fail-on-start=true: this release refuses to start");
		}
		if (this.hangOnStart) {
			Thread.sleep(Long.MAX_VALUE);
		}
	}

	@Override
	public void onApplicationEvent(WebServerInitializedEvent event) {
		if (this.exitAfterWebServer) {
			Runtime.getRuntime().halt(3);
		}
	}

}
