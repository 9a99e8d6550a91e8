package io.zerodowntime.sample.it;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code hey} (Debian package {@code hey}) against the app: a number of workers sharing
 * Go's HTTP client, with keep-alive, or with {@code -disable-keepalive} a new connection
 * for every request.
 *
 * <p>
 * hey reports every request it made either under {@code Status code distribution}
 * ({@code [200] 1234 responses}) or under {@code Error distribution}
 * ({@code [3] Get "...": ... connection refused}); both are parsed, and each error is
 * classified by its message. Note that Go's client silently retries an idempotent request
 * once when a reused keep-alive connection turns out to be closed before any response
 * byte, so with keep-alive, hey is less strict than wrk about idle connections closed
 * without a response; wrk runs next to it for that reason.
 */
final class Hey extends ExternalLoad {

	private static final Pattern RATE = Pattern.compile("(?m)^\\s*Requests/sec:\\s+([0-9.]+)\\s*$");

	private static final Pattern STATUS = Pattern.compile("^\\s*\\[(\\d+)\\]\\s+(\\d+) responses\\s*$");

	private static final Pattern ERROR = Pattern.compile("^\\s*\\[(\\d+)\\]\\s+(.+)$");

	private Hey(String name, List<String> command, Path output) {
		super(name, command, output);
	}

	/**
	 * Start hey: {@code workers} concurrent workers ({@code -c}), each at most
	 * {@code perWorkerRate} requests a second ({@code -q}, 0 for no limit), for at most
	 * {@code cap} ({@code -z}; it is normally stopped by SIGINT).
	 */
	static Hey start(Path dir, String name, int port, String path, int workers, int perWorkerRate, boolean keepAlive,
			Duration cap) {
		List<String> command = new ArrayList<>(
				List.of("hey", "-z", cap.toSeconds() + "s", "-c", Integer.toString(workers), "-t", "20"));
		if (perWorkerRate > 0) {
			command.addAll(List.of("-q", Integer.toString(perWorkerRate)));
		}
		if (!keepAlive) {
			command.add("-disable-keepalive");
		}
		command.add("http://" + Http.HOST + ":" + port + path);
		return new Hey(name, command, dir.resolve(name + ".out"));
	}

	/** Stop hey and parse its summary. */
	Result result() {
		return Result.parse(name(), stop());
	}

	/** What went wrong with a request, from hey's error message. */
	enum ErrorKind {

		/** {@code connection refused}. */
		CONNECT,

		/** {@code connection reset by peer}, {@code broken pipe}. */
		RESET,

		/** The connection ended without a response ({@code EOF}, server closed). */
		NO_RESPONSE,

		/** The client timeout. */
		TIMEOUT,

		/** Anything else. */
		OTHER;

		static ErrorKind of(String message) {
			String m = message.toLowerCase(Locale.ROOT);
			if (m.contains("connection refused")) {
				return CONNECT;
			}
			if (m.contains("reset by peer") || m.contains("broken pipe")) {
				return RESET;
			}
			if (m.contains("eof") || m.contains("server closed")) {
				return NO_RESPONSE;
			}
			if (m.contains("timeout") || m.contains("deadline exceeded")) {
				return TIMEOUT;
			}
			return OTHER;
		}

	}

	/**
	 * hey's summary.
	 *
	 * @param name the run's name
	 * @param requestsPerSecond hey's {@code Requests/sec}
	 * @param statuses responses by status code
	 * @param errors failed requests by hey's error message
	 * @param output everything hey printed
	 */
	record Result(String name, double requestsPerSecond, Map<Integer, Long> statuses, Map<String, Long> errors,
			String output) {

		static Result parse(String name, String output) {
			Matcher rate = RATE.matcher(output);
			if (!rate.find() || !output.contains("Summary:")) {
				throw new AssertionError(name + ": no summary in hey's output:\n" + output);
			}
			Map<Integer, Long> statuses = new TreeMap<>();
			Map<String, Long> errors = new LinkedHashMap<>();
			String section = "";
			for (String line : output.split("\n")) {
				String trimmed = line.trim();
				if (trimmed.endsWith(":") && !trimmed.startsWith("[")) {
					section = trimmed;
					continue;
				}
				if (section.equals("Status code distribution:")) {
					Matcher status = STATUS.matcher(line);
					if (status.matches()) {
						statuses.merge(Integer.parseInt(status.group(1)), Long.parseLong(status.group(2)), Long::sum);
					}
					else if (!trimmed.isEmpty()) {
						throw new AssertionError(name + ": unexpected line in hey's status codes: '" + line + "'");
					}
				}
				else if (section.equals("Error distribution:")) {
					Matcher error = ERROR.matcher(line);
					if (error.matches()) {
						errors.merge(error.group(2), Long.parseLong(error.group(1)), Long::sum);
					}
					else if (!trimmed.isEmpty()) {
						throw new AssertionError(name + ": unexpected line in hey's errors: '" + line + "'");
					}
				}
			}
			return new Result(name, Double.parseDouble(rate.group(1)), Map.copyOf(statuses), Map.copyOf(errors),
					output);
		}

		/** Return every request hey made: responses plus errors. */
		long requests() {
			return responses() + this.errors.values().stream().mapToLong(Long::longValue).sum();
		}

		/** Return the responses, whatever their status. */
		long responses() {
			return this.statuses.values().stream().mapToLong(Long::longValue).sum();
		}

		/** Return the responses with a status outside 200-299. */
		long non2xx() {
			return this.statuses.entrySet()
				.stream()
				.filter((e) -> e.getKey() < 200 || e.getKey() > 299)
				.mapToLong(Map.Entry::getValue)
				.sum();
		}

		/** Return the failed requests of one kind. */
		long errors(ErrorKind kind) {
			return this.errors.entrySet()
				.stream()
				.filter((e) -> ErrorKind.of(e.getKey()) == kind)
				.mapToLong(Map.Entry::getValue)
				.sum();
		}

		/** One line for the test log. */
		String summary() {
			return String.format("%s: %d requests (%.0f/s), statuses %s, errors %s", this.name, requests(),
					this.requestsPerSecond, this.statuses, this.errors);
		}

	}

}
