package io.zerodowntime.autoconfigure;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Configuration properties for zero-downtime upgrades.
 *
 * @since 0.1.0
 */
@ConfigurationProperties("zerodowntime")
public class ZeroDowntimeProperties {

	/**
	 * Whether listening sockets are handed over between generations. When false the
	 * application runs exactly as Spring Boot makes it.
	 */
	private boolean enabled;

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

}
