package io.zerodowntime.sample.it;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A load generator we did not write, against {@code GET /}: a child process with a
 * duration cap, stopped by SIGINT, on which it prints its summary.
 * <ul>
 * <li>{@code wrk}: a fixed set of connections, kept alive or not. It never retries: a
 * refused connection is a {@code connect} (or, non-blocking, {@code write}) error; one
 * closed or reset without a response a {@code read} (or {@code write}) error; a slow
 * response a {@code timeout}. A Lua script adds the requests sent, the responses outside
 * 2xx and the {@code X-Generation} of each.</li>
 * <li>{@code hey}: Go's HTTP client, which silently retries an idempotent request once
 * when a reused connection closes before any response byte: less strict than wrk, which
 * runs next to it for that reason.</li>
 * </ul>
 */
final class ExternalLoad implements AutoCloseable {

	private static final String WRK_SCRIPT = """
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

	private static final Pattern WRK_SOCKET_ERRORS = Pattern
		.compile("(?m)^\\s*Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)\\s*$");

	private static final Pattern WRK_4XX_5XX = Pattern.compile("(?m)^\\s*Non-2xx or 3xx responses: (\\d+)\\s*$");

	private static final Pattern WRK_SCRIPT_LINE = Pattern
		.compile("(?m)^zerodowntime-wrk sent=(\\d+) responses=(\\d+) non2xx=(\\d+) generations=(\\S*)\\s*$");

	private static final Pattern HEY_STATUS = Pattern.compile("^\\s*\\[(\\d+)\\]\\s+(\\d+) responses\\s*$");

	private static final Pattern HEY_ERROR = Pattern.compile("^\\s*\\[(\\d+)\\]\\s+(.+)$");

	private final String name;

	private final List<String> command;

	private final Path output;

	private final int connections;

	private final Process process;

	private final long startNanos = System.nanoTime();

	private ExternalLoad(String name, List<String> command, Path output, int connections) {
		this.name = name;
		this.command = List.copyOf(command);
		this.output = output;
		this.connections = connections;
		System.out.println("[" + name + "] ## starting " + String.join(" ", command));
		try {
			this.process = new ProcessBuilder(command).redirectErrorStream(true)
				.redirectOutput(output.toFile())
				.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
				.start();
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Unable to start " + command, ex);
		}
	}

	/**
	 * Start wrk: 2 threads, that many connections, each pausing {@code paceMillis} before
	 * a request (room to start the next generation); script and output in {@code dir}.
	 */
	static ExternalLoad wrk(Path dir, String name, int port, int connections, int paceMillis, boolean keepAlive,
			Duration cap) {
		Path script = AppUnderTest.io(() -> Files.writeString(dir.resolve(name + ".lua"), WRK_SCRIPT));
		List<String> command = new ArrayList<>(List.of("wrk", "-t", "2", "-c", Integer.toString(connections), "-d",
				cap.toSeconds() + "s", "--timeout", "10s", "-s", script.toString()));
		if (!keepAlive) {
			command.addAll(List.of("-H", "Connection: close"));
		}
		command.addAll(List.of("http://" + Http.HOST + ":" + port + "/", "--", Integer.toString(paceMillis)));
		return new ExternalLoad(name, command, dir.resolve(name + ".out"), connections);
	}

	/** Start hey: {@code workers} workers, each at most {@code perWorkerRate} per s. */
	static ExternalLoad hey(Path dir, String name, int port, int workers, int perWorkerRate, boolean keepAlive,
			Duration cap) {
		List<String> command = new ArrayList<>(List.of("hey", "-z", cap.toSeconds() + "s", "-c",
				Integer.toString(workers), "-t", "20", "-q", Integer.toString(perWorkerRate)));
		if (!keepAlive) {
			command.add("-disable-keepalive");
		}
		command.add("http://" + Http.HOST + ":" + port + "/");
		return new ExternalLoad(name, command, dir.resolve(name + ".out"), 0);
	}

	/**
	 * What a load generator saw: requests completed; responses outside 200-299; failures
	 * by kind, only kinds that happened (wrk: socket errors, status 400 and above, and
	 * requests sent without a response and not in flight at the stop; hey: its errors);
	 * responses by {@code X-Generation} (0 for none; wrk only).
	 */
	record Result(String name, long requests, long non2xx, Map<String, Long> errors, Map<Integer, Long> generations) {

		String summary() {
			return String.format("%s: %d requests, non-2xx %d, errors %s, by generation %s", this.name, this.requests,
					this.non2xx, this.errors, this.generations);
		}

	}

	/** Stop the load generator and parse its summary. */
	Result result() {
		String output = stop();
		return this.command.get(0).equals("wrk") ? parseWrk(output) : parseHey(output);
	}

	private Result parseWrk(String output) {
		Matcher script = WRK_SCRIPT_LINE.matcher(output);
		if (!script.find()) {
			throw new AssertionError(this.name + ": no line from the script in wrk's output:\n" + output);
		}
		Map<String, Long> errors = new LinkedHashMap<>();
		Matcher socketErrors = WRK_SOCKET_ERRORS.matcher(output);
		if (socketErrors.find()) {
			List<String> kinds = List.of("connect", "read (reset or closed without a response)", "write", "timeout");
			for (int i = 0; i < kinds.size(); i++) {
				errors.put(kinds.get(i), Long.parseLong(socketErrors.group(i + 1)));
			}
		}
		Matcher status = WRK_4XX_5XX.matcher(output);
		errors.put("Non-2xx or 3xx responses", status.find() ? Long.parseLong(status.group(1)) : 0);
		// wrk abandons at most one request per connection when it stops
		long sent = Long.parseLong(script.group(1));
		long responses = Long.parseLong(script.group(2));
		errors.put("requests sent without a response", Math.max(0, sent - responses - this.connections));
		errors.values().removeIf((count) -> count == 0);
		Map<Integer, Long> generations = new TreeMap<>();
		for (String entry : script.group(4).split(",")) {
			if (!entry.isEmpty()) {
				String[] parts = entry.split(":");
				generations.merge(parts[0].equals("none") ? 0 : Integer.parseInt(parts[0]), Long.parseLong(parts[1]),
						Long::sum);
			}
		}
		return new Result(this.name, responses, Long.parseLong(script.group(3)), errors, generations);
	}

	private Result parseHey(String output) {
		if (!output.contains("Summary:")) {
			throw new AssertionError(this.name + ": no summary in hey's output:\n" + output);
		}
		Map<Integer, Long> statuses = new TreeMap<>();
		Map<String, Long> errors = new LinkedHashMap<>();
		String section = "";
		for (String line : output.split("\n")) {
			String trimmed = line.trim();
			Matcher status = HEY_STATUS.matcher(line);
			Matcher error = HEY_ERROR.matcher(line);
			if (trimmed.endsWith(":") && !trimmed.startsWith("[")) {
				section = trimmed;
			}
			else if (section.equals("Status code distribution:") && status.matches()) {
				statuses.merge(Integer.parseInt(status.group(1)), Long.parseLong(status.group(2)), Long::sum);
			}
			else if (section.equals("Error distribution:") && error.matches()) {
				errors.merge(error.group(2), Long.parseLong(error.group(1)), Long::sum);
			}
			else if (!trimmed.isEmpty() && (section.startsWith("Status code") || section.startsWith("Error"))) {
				throw new AssertionError(this.name + ": unexpected line in hey's " + section + " '" + line + "'");
			}
		}
		long responses = statuses.values().stream().mapToLong(Long::longValue).sum();
		long failed = errors.values().stream().mapToLong(Long::longValue).sum();
		long non2xx = statuses.entrySet()
			.stream()
			.filter((e) -> e.getKey() < 200 || e.getKey() > 299)
			.mapToLong(Map.Entry::getValue)
			.sum();
		return new Result(this.name, responses + failed, non2xx, errors, Map.of());
	}

	/**
	 * Stop the load (SIGINT, to this child only) and return what it printed; fail if it
	 * had exited (its cap was too short, or it failed to start).
	 */
	private String stop() {
		long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - this.startNanos);
		if (!this.process.isAlive()) {
			throw new AssertionError(this.name + " exited (code " + this.process.exitValue() + ") after " + seconds
					+ " s, before the test stopped it: " + String.join(" ", this.command) + "\n"
					+ AppUnderTest.read(this.output));
		}
		Procfs.signal(this.process.pid(), "INT");
		try {
			if (!this.process.waitFor(30, TimeUnit.SECONDS)) {
				this.process.destroyForcibly();
				throw new AssertionError(
						this.name + " did not exit within 30 s of SIGINT\n" + AppUnderTest.read(this.output));
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new AssertionError("interrupted", ex);
		}
		String output = AppUnderTest.read(this.output);
		System.out.println(
				"[" + this.name + "] ## ran " + seconds + " s, exit code " + this.process.exitValue() + ":\n" + output);
		return output;
	}

	@Override
	public void close() {
		if (this.process.isAlive()) {
			this.process.destroyForcibly();
			try {
				this.process.waitFor(10, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
	}

}
