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
	 * How long a generation that handed over (or got SIGTERM) waits for the connections
	 * it holds to finish before it closes the application context and exits. A hard
	 * deadline: the connections still open then are closed, cutting the requests still
	 * running, and Spring Boot's graceful shutdown phase does not wait for them again.
	 */
	private Duration drainTimeout = Duration.ofSeconds(30);

	/**
	 * How long a generation may take, beyond the drain timeout, to close its application
	 * context and exit (shutdown hooks included) before it is halted: from the start of
	 * the drain to the exit takes at most the drain timeout plus this. Its successor
	 * kills it, by pid, if it is still there a few seconds later.
	 */
	private Duration exitGrace = Duration.ofSeconds(2);

	/**
	 * File to write the serving generation's pid to, atomically, before it reports ready.
	 * A generation that cannot write it does not become ready: generation 1 does not
	 * start, a later one fails the upgrade. Not written where upgrades are not available.
	 */
	private Path pidFile;

	/**
	 * Command that starts the next generation, instead of this JVM's own command line.
	 * One argument per element; an argument that contains a comma must be given in the
	 * indexed form (zerodowntime.command[0]=..., zerodowntime.command[1]=...), since a
	 * comma-separated value is split at every comma.
	 */
	private List<String> command = new ArrayList<>();

	/**
	 * Path of a Unix-domain socket that answers the commands 'upgrade' and 'status' with
	 * the same JSON as POST and GET /actuator/upgrade, e.g. /run/app/control.sock. Mode
	 * 0600 unless a control socket group is set. Kept bound across upgrades.
	 */
	private Path controlSocket;

	/**
	 * Group whose members may use the control socket too (mode 0660). The application's
	 * user must be a member of it.
	 */
	private String controlSocketGroup;

	/**
	 * Whether this generation's threads run at a higher nice value (handover-nice) while
	 * a new generation starts, so the new one gets the CPU on a busy host; put back if
	 * the upgrade fails (which needs CAP_SYS_NICE or RLIMIT_NICE, see
	 * docs/performance.md).
	 */
	private boolean handoverPriority = true;

	/**
	 * The nice value of this generation's threads while a new generation starts, from 1
	 * to 19: higher starts the new generation sooner on a busy host, and slows the
	 * requests this one serves meanwhile.
	 */
	private int handoverNice = 19;

	/**
	 * How long the previous generation stays able to take the traffic back after a new
	 * one reported ready: it stops accepting but keeps its listening sockets, and resumes
	 * at once if the new generation exits, is not ready any more, or answers too many
	 * requests with a 5xx (see zerodowntime.rollback.*). The upgrade's outcome is known
	 * at its end. 0 turns probation off.
	 */
	private Duration probation = Duration.ofSeconds(10);

	private final Rollback rollback = new Rollback();

	private final Readiness readiness = new Readiness();

	public Duration getProbation() {
		return this.probation;
	}

	public void setProbation(Duration probation) {
		this.probation = probation;
	}

	public Rollback getRollback() {
		return this.rollback;
	}

	public Readiness getReadiness() {
		return this.readiness;
	}

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

	public Duration getExitGrace() {
		return this.exitGrace;
	}

	public void setExitGrace(Duration exitGrace) {
		this.exitGrace = exitGrace;
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

	public Path getControlSocket() {
		return this.controlSocket;
	}

	public void setControlSocket(Path controlSocket) {
		this.controlSocket = controlSocket;
	}

	public String getControlSocketGroup() {
		return this.controlSocketGroup;
	}

	public void setControlSocketGroup(String controlSocketGroup) {
		this.controlSocketGroup = controlSocketGroup;
	}

	public int getHandoverNice() {
		return this.handoverNice;
	}

	public void setHandoverNice(int handoverNice) {
		this.handoverNice = handoverNice;
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

	/**
	 * When a new generation on probation is rolled back for its errors.
	 */
	public static class Rollback {

		/**
		 * Share of the requests a new generation answered during its probation with a 5xx
		 * above which the previous generation takes the traffic back, e.g. 0.05. Counted
		 * from the new generation's http.server.requests observations. Unset: errors are
		 * not judged.
		 */
		private Double maxErrorRatio;

		/**
		 * How many requests a new generation on probation must have answered before its
		 * error ratio is judged.
		 */
		private int minRequests = 20;

		public Double getMaxErrorRatio() {
			return this.maxErrorRatio;
		}

		public void setMaxErrorRatio(Double maxErrorRatio) {
			this.maxErrorRatio = maxErrorRatio;
		}

		public int getMinRequests() {
			return this.minRequests;
		}

		public void setMinRequests(int minRequests) {
			this.minRequests = minRequests;
		}

	}

	/**
	 * When a generation counts as ready.
	 */
	public static class Readiness {

		/**
		 * Actuator health group that must be UP, besides the application being ready and
		 * accepting traffic, before a generation reports ready (and stay UP through its
		 * probation). Default: the group 'readiness' if it exists, else none.
		 */
		private String healthGroup;

		public String getHealthGroup() {
			return this.healthGroup;
		}

		public void setHealthGroup(String healthGroup) {
			this.healthGroup = healthGroup;
		}

	}

}
