package io.zerodowntime.sample;

import java.net.ConnectException;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * Stands for a database the application needs before it can serve: health indicator
 * {@code db}, in the {@code readiness} health group. The sample has no database; it is
 * {@code UP} unless {@code sample.db-down=true} (a release whose database cannot be
 * reached: {@code DOWN} with {@code Connection refused}), set like the other faults in
 * the extra configuration file the next generation reads.
 */
@Component("db")
class DatabaseHealthIndicator implements HealthIndicator {

	private final boolean down;

	DatabaseHealthIndicator(@Value("${sample.db-down:false}") boolean down) {
		this.down = down;
	}

	@Override
	public Health health() {
		if (this.down) {
			return Health.down(new ConnectException("Connection refused")).build();
		}
		return Health.up().build();
	}

}
