package io.zerodowntime.actuate;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.zerodowntime.Generation;
import io.zerodowntime.ListenerHandle;
import io.zerodowntime.Listeners;
import io.zerodowntime.UpgradeOutcome;
import io.zerodowntime.UpgradeState;
import io.zerodowntime.Upgrader;

import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;

/**
 * {@code /actuator/upgrade}: GET tells which generation serves and how the last upgrade
 * went; POST starts an upgrade and answers with its outcome (200 succeeded, 409 refused,
 * 500 failed). Read-only unless the operator grants
 * {@code management.endpoint.upgrade.access=unrestricted} (or
 * {@code management.endpoints.access.default=unrestricted}). Over HTTP the POST must carry
 * {@code Content-Type: application/json} ({@link UpgradeRequestFilter}).
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
	 * Describe this generation.
	 * @return the status
	 */
	@ReadOperation
	public Status status() {
		Generation generation = this.upgrader.generation();
		// on an unsupported platform Tomcat binds as usual and nothing native is loaded
		List<ListenerDescriptor> listeners = (this.upgrader.state() == UpgradeState.UNSUPPORTED) ? List.of()
				: Listeners.get()
					.open()
					.stream()
					.map((l) -> new ListenerDescriptor(l.name(), address(l), l.localAddress().getPort(), l.inherited()))
					.toList();
		UpgradeOutcome last = this.upgrader.lastUpgrade();
		LastUpgrade lastUpgrade = (last != null) ? new LastUpgrade(last.outcome().name(), last.reason(),
				last.childPid(), last.startedAt(), last.durationMs()) : null;
		return new Status(generation.number(), generation.pid(), generation.parentPid(), this.upgrader.state().name(),
				generation.startedAt(), generation.originalStartedAt(), listeners, lastUpgrade,
				this.upgrader.unavailable());
	}

	/**
	 * Start an upgrade and wait for its outcome.
	 * @return the outcome, with 200, 409 or 500
	 */
	@WriteOperation
	public WebEndpointResponse<Map<String, Object>> upgrade() {
		String trigger = UpgradeRequestFilter.currentTrigger();
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
		};
	}

	private static String address(ListenerHandle listener) {
		return (listener.localAddress().getAddress() != null) ? listener.localAddress().getAddress().getHostAddress()
				: listener.localAddress().getHostString();
	}

	/**
	 * What {@code GET /actuator/upgrade} answers.
	 *
	 * @param generation the generation number
	 * @param pid this process's pid
	 * @param parentPid the previous generation's pid, {@code null} in generation 1
	 * @param state what this generation is doing; {@code UNSUPPORTED} on a platform where
	 * upgrades are not available
	 * @param startedAt when this process started
	 * @param originalStartedAt when generation 1 started
	 * @param listeners the listening sockets
	 * @param lastUpgrade the last upgrade attempt, or {@code null}
	 * @param upgradesUnavailable why this generation can never be upgraded (every attempt
	 * is refused with it), or {@code null}
	 */
	public record Status(int generation, long pid, Long parentPid, String state, Instant startedAt,
			Instant originalStartedAt, List<ListenerDescriptor> listeners, LastUpgrade lastUpgrade,
			String upgradesUnavailable) {
	}

	/**
	 * One listening socket.
	 *
	 * @param name its name
	 * @param address the address it listens on
	 * @param port the port it listens on
	 * @param inherited whether it was passed to this process
	 */
	public record ListenerDescriptor(String name, String address, int port, boolean inherited) {
	}

	/**
	 * The last upgrade attempt.
	 *
	 * @param outcome SUCCEEDED, REFUSED or FAILED
	 * @param reason why it was refused or failed
	 * @param childPid the new generation's pid, if one was started
	 * @param startedAt when it started
	 * @param durationMs how long it took
	 */
	public record LastUpgrade(String outcome, String reason, Long childPid, Instant startedAt, long durationMs) {
	}

}
