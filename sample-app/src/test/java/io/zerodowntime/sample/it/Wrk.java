package io.zerodowntime.sample.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code wrk} (Debian package {@code wrk}) against the app: a fixed set of connections,
 * each reused for request after request (keep-alive), or a {@code Connection: close}
 * request header so that every request goes on a new connection.
 *
 * <p>
 * wrk never retries: a connection refused is a {@code connect} or, as its connects are
 * non-blocking, more often a {@code write} socket error; a connection closed or reset
 * without a response is a {@code read} (or {@code write}) socket error; a response slower
 * than the timeout is a {@code timeout} error; and a status of 400 or more is counted in
 * its {@code Non-2xx or 3xx responses} line. A small Lua script adds what wrk does not
 * print: how many requests were sent, how many responses had a status outside 2xx (so 1xx
 * and 3xx too), and which generation ({@code X-Generation}) served them.
 */
final class Wrk extends ExternalLoad {

	private static final String SCRIPT = """
			-- zerodowntime e2e: counts requests sent, responses, non-2xx and X-Generation per thread
			local threads = {}
			function setup(thread)
			  table.insert(threads, thread)
			  thread:set("id", #threads)
			end
			function init(args)
			  sent = 0
			  responses = 0
			  non2xx = 0
			  gens = {}
			  pace = tonumber(args[1]) or 0
			end
			function request()
			  if id == 1 and not verified then
			    -- wrk calls request() once in its first thread before the load starts, to check it
			    verified = true
			    return wrk.format()
			  end
			  sent = sent + 1
			  return wrk.format()
			end
			function delay()
			  return pace
			end
			function response(status, headers, body)
			  responses = responses + 1
			  if status < 200 or status > 299 then
			    non2xx = non2xx + 1
			  end
			  local g = headers["X-Generation"] or "none"
			  gens[g] = (gens[g] or 0) + 1
			end
			function done(summary, latency, requests)
			  local s, r, n, all = 0, 0, 0, {}
			  for _, t in ipairs(threads) do
			    s = s + t:get("sent")
			    r = r + t:get("responses")
			    n = n + t:get("non2xx")
			    for g, c in pairs(t:get("gens")) do
			      all[g] = (all[g] or 0) + c
			    end
			  end
			  local parts = {}
			  for g, c in pairs(all) do
			    table.insert(parts, g .. ":" .. c)
			  end
			  io.write(string.format("zerodowntime-wrk sent=%d responses=%d non2xx=%d generations=%s\\n",
			    s, r, n, table.concat(parts, ",")))
			end
			""";

	private static final Pattern REQUESTS = Pattern.compile("(?m)^\\s*(\\d+) requests in ([0-9.]+)(us|ms|s|m|h), ");

	private static final Pattern SOCKET_ERRORS = Pattern
		.compile("(?m)^\\s*Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)\\s*$");

	private static final Pattern NON_2XX = Pattern.compile("(?m)^\\s*Non-2xx or 3xx responses: (\\d+)\\s*$");

	private static final Pattern RATE = Pattern.compile("(?m)^Requests/sec:\\s+([0-9.]+)\\s*$");

	private static final Pattern SCRIPT_LINE = Pattern
		.compile("(?m)^zerodowntime-wrk sent=(\\d+) responses=(\\d+) non2xx=(\\d+) generations=(\\S*)\\s*$");

	private final int connections;

	private Wrk(String name, List<String> command, Path output, int connections) {
		super(name, command, output);
		this.connections = connections;
	}

	/**
	 * Start wrk against {@code GET /} with 2 threads and that many connections, each
	 * waiting {@code paceMillis} before each request (so the load leaves the machine's
	 * cores room to start the next generation), with keep-alive or {@code Connection:
	 * close} on every request (a new connection per request), for at most {@code cap} (it
	 * is normally stopped earlier, by SIGINT). The script and the output go to
	 * {@code dir}.
	 */
	static Wrk start(Path dir, String name, int port, int connections, int paceMillis, boolean keepAlive,
			Duration cap) {
		Path script = dir.resolve(name + ".lua");
		try {
			Files.writeString(script, SCRIPT);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		List<String> command = new ArrayList<>(List.of("wrk", "-t", "2", "-c", Integer.toString(connections), "-d",
				cap.toSeconds() + "s", "--timeout", "10s", "-s", script.toString()));
		if (!keepAlive) {
			command.addAll(List.of("-H", "Connection: close"));
		}
		command.addAll(List.of("http://" + Http.HOST + ":" + port + "/", "--", Integer.toString(paceMillis)));
		return new Wrk(name, command, dir.resolve(name + ".out"), connections);
	}

	/** Stop wrk and parse its summary. */
	Result result() {
		String output = stop();
		return Result.parse(name(), output, this.connections);
	}

	/**
	 * wrk's summary.
	 *
	 * @param name the run's name
	 * @param requests completed requests (wrk's {@code N requests in})
	 * @param requestsPerSecond wrk's {@code Requests/sec}
	 * @param connectErrors socket errors: connect
	 * @param readErrors socket errors: read (closed or reset before a whole response)
	 * @param writeErrors socket errors: write
	 * @param timeouts socket errors: timeout
	 * @param status4xx5xx wrk's {@code Non-2xx or 3xx responses} (status 400 and above)
	 * @param sent requests written, from the script
	 * @param responses responses read, from the script
	 * @param non2xx responses with a status outside 200-299, from the script
	 * @param generations responses by {@code X-Generation}
	 * @param connections the connections wrk kept open
	 * @param output everything wrk printed
	 */
	record Result(String name, long requests, double requestsPerSecond, long connectErrors, long readErrors,
			long writeErrors, long timeouts, long status4xx5xx, long sent, long responses, long non2xx,
			Map<Integer, Long> generations, int connections, String output) {

		static Result parse(String name, String output, int connections) {
			Matcher requests = find(REQUESTS, output, name);
			Matcher rate = find(RATE, output, name);
			Matcher script = find(SCRIPT_LINE, output, name);
			Matcher errors = SOCKET_ERRORS.matcher(output);
			boolean anyErrors = errors.find();
			Matcher status = NON_2XX.matcher(output);
			boolean anyStatus = status.find();
			Map<Integer, Long> generations = new TreeMap<>();
			for (String entry : script.group(4).split(",")) {
				if (entry.isEmpty()) {
					continue;
				}
				String[] parts = entry.split(":");
				generations.merge(parts[0].equals("none") ? 0 : Integer.parseInt(parts[0]), Long.parseLong(parts[1]),
						Long::sum);
			}
			return new Result(name, Long.parseLong(requests.group(1)), Double.parseDouble(rate.group(1)),
					anyErrors ? Long.parseLong(errors.group(1)) : 0, anyErrors ? Long.parseLong(errors.group(2)) : 0,
					anyErrors ? Long.parseLong(errors.group(3)) : 0, anyErrors ? Long.parseLong(errors.group(4)) : 0,
					anyStatus ? Long.parseLong(status.group(1)) : 0, Long.parseLong(script.group(1)),
					Long.parseLong(script.group(2)), Long.parseLong(script.group(3)), Map.copyOf(generations),
					connections, output);
		}

		private static Matcher find(Pattern pattern, String output, String name) {
			Matcher matcher = pattern.matcher(output);
			if (!matcher.find()) {
				throw new AssertionError(name + ": no line matching /" + pattern + "/ in wrk's output:\n" + output);
			}
			return matcher;
		}

		/**
		 * Requests written that got no response and were not still in flight when wrk was
		 * stopped: wrk abandons at most one request per connection when it stops.
		 */
		long missing() {
			return Math.max(0, this.sent - this.responses - this.connections);
		}

		/** One line for the test log. */
		String summary() {
			return String.format(
					"%s: %d requests (%.0f/s), sent %d, responses %d, socket errors connect %d read %d "
							+ "write %d timeout %d, status>=400 %d, non-2xx %d, by generation %s",
					this.name, this.requests, this.requestsPerSecond, this.sent, this.responses, this.connectErrors,
					this.readErrors, this.writeErrors, this.timeouts, this.status4xx5xx, this.non2xx, this.generations);
		}

	}

}
