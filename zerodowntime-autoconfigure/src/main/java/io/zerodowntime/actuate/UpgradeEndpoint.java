package io.zerodowntime.actuate;

import java.util.LinkedHashMap;
import java.util.Map;

import io.zerodowntime.UpgradeOutcome;
import io.zerodowntime.Upgrader;

import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;

/**
 * {@code /actuator/upgrade}: GET tells which generation serves and how the last upgrade
 * went; POST starts an upgrade and answers with its outcome (200 succeeded, 409 refused,
 * 500 failed or rolled back; with probation on, the answer comes at the probation's end).
 * Read-only unless the operator grants
 * {@code management.endpoint.upgrade.access=unrestricted} (or
 * {@code management.endpoints.access.default=unrestricted}). Over HTTP the POST must
 * carry {@code Content-Type: application/json} ({@link UpgradeRequestFilter}).
 *
 * @since 0.1.0
 */
@Endpoint(id = "upgrade", defaultAccess = Access.READ_ONLY)
public class UpgradeEndpoint {

	private final Upgrader upgrader;

	/**
	 * Create the endpoint.
	 * @param upgrader the upgrader of this process
	 */
	public UpgradeEndpoint(Upgrader upgrader) {
		this.upgrader = upgrader;
	}

	/**
	 * Describe this generation: {@link Upgrader#status()}, the map the control socket's
	 * {@code status} answers with too.
	 * @return the status: {@code generation}, {@code pid}, {@code parentPid},
	 * {@code state}, {@code startedAt}, {@code originalStartedAt}, {@code listeners},
	 * {@code lastUpgrade}, {@code upgradedFrom}, {@code probation} and
	 * {@code upgradesUnavailable}
	 */
	@ReadOperation
	public Map<String, Object> status() {
		return this.upgrader.status();
	}

	/**
	 * Start an upgrade and wait for its outcome.
	 * @return the outcome, with 200, 409 or 500
	 */
	@WriteOperation
	public WebEndpointResponse<Map<String, Object>> upgrade() {
		String trigger = UpgradeTrigger.current();
		UpgradeOutcome outcome = this.upgrader.upgradeTriggeredBy((trigger != null) ? trigger : "the upgrade endpoint");
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("outcome", outcome.outcome().name());
		return switch (outcome.outcome()) {
			case SUCCEEDED -> {
				body.put("generation", outcome.generation());
				body.put("pid", outcome.childPid());
				yield new WebEndpointResponse<>(body, 200);
			}
			case REFUSED -> {
				body.put("reason", outcome.reason());
				yield new WebEndpointResponse<>(body, 409);
			}
			case FAILED -> {
				body.put("reason", outcome.reason());
				yield new WebEndpointResponse<>(body, 500);
			}
			case ROLLED_BACK -> {
				body.put("reason", outcome.reason());
				body.put("pid", outcome.childPid());
				yield new WebEndpointResponse<>(body, 500);
			}
		};
	}

}
