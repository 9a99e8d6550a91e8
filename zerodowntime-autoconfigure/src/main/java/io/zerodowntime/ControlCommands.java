package io.zerodowntime;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The commands of the control socket, {@code status} and {@code upgrade}, answered with
 * the same JSON and status codes as {@code GET} and {@code POST /actuator/upgrade}.
 */
final class ControlCommands implements ControlSocket.Handler {

	private final Upgrader upgrader;

	ControlCommands(Upgrader upgrader) {
		this.upgrader = upgrader;
	}

	@Override
	public ControlSocket.Reply handle(String command, ControlSocket.Peer peer) {
		return switch (command) {
			case "status" -> new ControlSocket.Reply(200, Json.write(status()));
			case "upgrade" -> upgrade(peer);
			default -> ControlSocket.Reply.error(400, "unknown command '" + command + "': send 'status' or 'upgrade'");
		};
	}

	private ControlSocket.Reply upgrade(ControlSocket.Peer peer) {
		UpgradeOutcome outcome = this.upgrader.upgradeTriggeredBy("control socket (" + peer.describe() + ")");
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("outcome", outcome.outcome().name());
		int code = switch (outcome.outcome()) {
			case SUCCEEDED -> {
				body.put("generation", outcome.generation());
				body.put("pid", outcome.childPid());
				yield 200;
			}
			case REFUSED -> {
				body.put("reason", outcome.reason());
				yield 409;
			}
			case FAILED -> {
				body.put("reason", outcome.reason());
				yield 500;
			}
		};
		return new ControlSocket.Reply(code, Json.write(body));
	}

	/** The fields of {@code GET /actuator/upgrade}, in its order. */
	private Map<String, Object> status() {
		Generation generation = this.upgrader.generation();
		List<Object> listeners = new ArrayList<>();
		for (ListenerHandle listener : Listeners.get().open()) {
			Map<String, Object> l = new LinkedHashMap<>();
			l.put("name", listener.name());
			l.put("address", (listener.localAddress().getAddress() != null)
					? listener.localAddress().getAddress().getHostAddress() : listener.localAddress().getHostString());
			l.put("port", listener.localAddress().getPort());
			l.put("inherited", listener.inherited());
			listeners.add(l);
		}
		UpgradeOutcome last = this.upgrader.lastUpgrade();
		Map<String, Object> lastUpgrade = null;
		if (last != null) {
			lastUpgrade = new LinkedHashMap<>();
			lastUpgrade.put("outcome", last.outcome().name());
			lastUpgrade.put("reason", last.reason());
			lastUpgrade.put("childPid", last.childPid());
			lastUpgrade.put("startedAt", last.startedAt());
			lastUpgrade.put("durationMs", last.durationMs());
		}
		Map<String, Object> status = new LinkedHashMap<>();
		status.put("generation", generation.number());
		status.put("pid", generation.pid());
		status.put("parentPid", generation.parentPid());
		status.put("state", this.upgrader.state().name());
		status.put("startedAt", generation.startedAt());
		status.put("originalStartedAt", generation.originalStartedAt());
		status.put("listeners", listeners);
		status.put("lastUpgrade", lastUpgrade);
		status.put("upgradesUnavailable", this.upgrader.unavailable());
		return status;
	}

	/** Just enough JSON for the answers above: maps, lists, strings, numbers, booleans, instants, null. */
	static final class Json {

		private Json() {
		}

		static String write(Object value) {
			StringBuilder out = new StringBuilder();
			write(value, out);
			return out.toString();
		}

		private static void write(Object value, StringBuilder out) {
			if (value == null) {
				out.append("null");
			}
			else if (value instanceof Map<?, ?> map) {
				out.append('{');
				boolean first = true;
				for (Map.Entry<?, ?> entry : map.entrySet()) {
					if (!first) {
						out.append(',');
					}
					first = false;
					string(String.valueOf(entry.getKey()), out);
					out.append(':');
					write(entry.getValue(), out);
				}
				out.append('}');
			}
			else if (value instanceof List<?> list) {
				out.append('[');
				for (int i = 0; i < list.size(); i++) {
					if (i > 0) {
						out.append(',');
					}
					write(list.get(i), out);
				}
				out.append(']');
			}
			else if (value instanceof Number || value instanceof Boolean) {
				out.append(value);
			}
			else if (value instanceof Instant instant) {
				string(instant.toString(), out);
			}
			else {
				string(value.toString(), out);
			}
		}

		private static void string(String value, StringBuilder out) {
			out.append('"');
			for (int i = 0; i < value.length(); i++) {
				char c = value.charAt(i);
				switch (c) {
					case '"' -> out.append("\\\"");
					case '\\' -> out.append("\\\\");
					case '\n' -> out.append("\\n");
					case '\r' -> out.append("\\r");
					case '\t' -> out.append("\\t");
					default -> {
						if (c < 0x20) {
							out.append(String.format("\\u%04x", (int) c));
						}
						else {
							out.append(c);
						}
					}
				}
			}
			out.append('"');
		}

	}

}
