package io.zerodowntime;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The commands of the control socket, {@code status} and {@code upgrade}, answered with
 * the same JSON and status codes as {@code GET} and {@code POST /actuator/upgrade}: the
 * status is {@link Upgrader#status()}, the map the endpoint returns, so the two cannot
 * drift.
 */
final class ControlCommands implements ControlSocket.Handler {

	private final Upgrader upgrader;

	ControlCommands(Upgrader upgrader) {
		this.upgrader = upgrader;
	}

	@Override
	public ControlSocket.Reply handle(String command, ControlSocket.Peer peer) {
		return switch (command) {
			case "status" -> new ControlSocket.Reply(200, Json.write(this.upgrader.status()));
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
			case ROLLED_BACK -> {
				body.put("reason", outcome.reason());
				body.put("pid", outcome.childPid());
				yield 500;
			}
		};
		return new ControlSocket.Reply(code, Json.write(body));
	}

	/**
	 * Just enough JSON for the answers above: maps, lists, strings, numbers, booleans,
	 * instants, null.
	 */
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
