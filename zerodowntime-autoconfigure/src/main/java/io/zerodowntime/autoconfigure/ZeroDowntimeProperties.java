package io.zerodowntime.autoconfigure;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

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

	/**
	 * How long a new generation may take to become ready before it is stopped and the
	 * upgrade fails.
	 */
	private Duration upgradeTimeout = Duration.ofSeconds(60);

	/**
	 * How long a generation that handed over (or got SIGTERM) waits for the connections it
	 * holds to finish before it closes the application context and exits.
	 */
	private Duration drainTimeout = Duration.ofSeconds(30);

	/**
	 * File to write the serving generation's pid to, atomically, before it reports ready.
	 */
	private Path pidFile;

	/**
	 * Command that starts the next generation, instead of this JVM's own command line.
	 */
	private List<String> command = new ArrayList<>();

	/**
	 * Whether this generation's threads run at nice 10 while a new generation starts, so
	 * the new one gets the CPU on a busy host; put back if the upgrade fails (which needs
	 * CAP_SYS_NICE or RLIMIT_NICE, see docs/performance.md).
	 */
	private boolean handoverPriority = true;

	public Duration getUpgradeTimeout() {
		return this.upgradeTimeout;
	}

	public void setUpgradeTimeout(Duration upgradeTimeout) {
		this.upgradeTimeout = upgradeTimeout;
	}

	public Duration getDrainTimeout() {
		return this.drainTimeout;
	}

	public void setDrainTimeout(Duration drainTimeout) {
		this.drainTimeout = drainTimeout;
	}

	public Path getPidFile() {
		return this.pidFile;
	}

	public void setPidFile(Path pidFile) {
		this.pidFile = pidFile;
	}

	public List<String> getCommand() {
		return this.command;
	}

	public void setCommand(List<String> command) {
		this.command = command;
	}

	public boolean isHandoverPriority() {
		return this.handoverPriority;
	}

	public void setHandoverPriority(boolean handoverPriority) {
		this.handoverPriority = handoverPriority;
	}

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

}
