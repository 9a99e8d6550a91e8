package io.zerodowntime.sample;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import io.zerodowntime.Generation;
import io.zerodowntime.UpgradeListener;
import io.zerodowntime.Upgrader;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ResponseStatusException;

/**
 * Makes a release go bad after it took the traffic, so the checks can prove that its
 * predecessor, still on probation, takes the traffic back without a refused connection:
 * <ul>
 * <li>{@code sample.exit-after-ready=1s}: the generation halts (exit status 3, no
 * shutdown) that long after it reported ready;</li>
 * <li>{@code sample.readiness-down=1s}: that long after it reported ready, it publishes
 * {@code ReadinessState.REFUSING_TRAFFIC};</li>
 * <li>{@code sample.server-errors=0.5}: that share of the requests to {@code /},
 * {@code /slow} and {@code /upload} is answered with a 500 (every other one for 0.5, the
 * rest served as usual).</li>
 * </ul>
 * Like {@link StartupFaults}, the checks set them in the extra configuration file that
 * the next generation reads ({@code --spring.config.additional-location=...}): an upgrade
 * reuses the command line, so a per-release switch cannot come from it. A generation
 * started with none of them behaves normally.
 */
@Component
class ReleaseFaults implements UpgradeListener {

	private static final Log logger = LogFactory.getLog(ReleaseFaults.class);

	private final ApplicationEventPublisher publisher;

	private final Duration exitAfterReady;

	private final Duration readinessDown;

	private final double serverErrors;

	private final AtomicLong requests = new AtomicLong();

	ReleaseFaults(ObjectProvider<Upgrader> upgrader, ApplicationEventPublisher publisher,
			@Value("${sample.exit-after-ready:}") String exitAfterReady,
			@Value("${sample.readiness-down:}") String readinessDown,
			@Value("${sample.server-errors:0}") double serverErrors) {
		this.publisher = publisher;
		this.exitAfterReady = duration("sample.exit-after-ready", exitAfterReady);
		this.readinessDown = duration("sample.readiness-down", readinessDown);
		if (serverErrors < 0 || serverErrors > 1) {
			throw new IllegalArgumentException(
					"sample.server-errors must be a share between 0 and 1 (e.g. 0.5), got " + serverErrors);
		}
		this.serverErrors = serverErrors;
		if (this.exitAfterReady != null || this.readinessDown != null) {
			Upgrader known = upgrader.getIfAvailable();
			if (known == null) {
				throw new IllegalStateException("sample.exit-after-ready and sample.readiness-down need "
						+ "zerodowntime.enabled=true (they count from the moment the generation reported ready)");
			}
			known.addListener(this);
		}
	}

	private static Duration duration(String name, String value) {
		if (value == null || value.isBlank()) {
			return null;
		}
		try {
			return DurationStyle.detectAndParse(value.strip());
		}
		catch (IllegalArgumentException ex) {
			throw new IllegalArgumentException(name + " must be a duration such as 1s or 500ms, got '" + value + "'",
					ex);
		}
	}

	@Override
	public void generationReady(Generation generation) {
		if (this.exitAfterReady != null) {
			after(this.exitAfterReady, "sample-exit-after-ready", () -> {
				logger.warn("sample.exit-after-ready=" + this.exitAfterReady + ": generation " + generation.number()
						+ " (pid " + generation.pid() + ") halts now");
				Runtime.getRuntime().halt(3);
			});
		}
		if (this.readinessDown != null) {
			after(this.readinessDown, "sample-readiness-down", () -> {
				logger.warn("sample.readiness-down=" + this.readinessDown + ": generation " + generation.number()
						+ " (pid " + generation.pid() + ") refuses traffic now");
				AvailabilityChangeEvent.publish(this.publisher, this, ReadinessState.REFUSING_TRAFFIC);
			});
		}
	}

	private static void after(Duration delay, String name, Runnable action) {
		Thread thread = new Thread(() -> {
			try {
				Thread.sleep(delay.toMillis());
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return;
			}
			action.run();
		}, name);
		thread.setDaemon(true);
		thread.start();
	}

	/**
	 * Fail this request with a 500 if {@code sample.server-errors} says so: exactly that
	 * share of the requests, spread evenly.
	 */
	void maybeFail() {
		if (this.serverErrors <= 0) {
			return;
		}
		long n = this.requests.getAndIncrement();
		if ((long) Math.floor((n + 1) * this.serverErrors) > (long) Math.floor(n * this.serverErrors)) {
			throw new ResponseStatusException(HttpStatus.INTERNAL_SERVER_ERROR,
					"sample.server-errors=" + this.serverErrors + ": this request fails on purpose");
		}
	}

}
