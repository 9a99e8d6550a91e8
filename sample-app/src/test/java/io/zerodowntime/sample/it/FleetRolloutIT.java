package io.zerodowntime.sample.it;

import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * A fleet on one machine: three hosts, each a network namespace of its own that runs the
 * sample app as plain processes (PID file and control socket in the host's directory),
 * HAProxy in a fourth namespace with the shipped configuration
 * ({@code deploy/haproxy/haproxy.cfg}: readiness checks), wrk and a one-request-at-a-time
 * probe through the balancer, and {@code ansible-playbook} with the shipped role and
 * playbooks ({@code deploy/ansible}) rolling releases across the hosts, one at a time.
 *
 * <p>
 * The story: release 2 rolls across all three hosts with no failed request, and a second
 * run changes nothing; release 3 cannot start on host 2 (a setting only that host has),
 * so the play stops there: host 1 serves release 3, hosts 2 and 3 serve release 2, still
 * with no failed request; the rollback playbook then puts host 1 back on release 2.
 *
 * <p>
 * Needs root (network namespaces), {@code ip}, {@code ansible-playbook}, {@code haproxy},
 * {@code wrk} and {@code curl}: a missing one fails the test with the command that
 * installs it. Traffic stays in the test's namespaces; every process in them is stopped
 * by pid, and the namespaces (with their veth pairs) are deleted at the end, also on
 * failure.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class FleetRolloutIT {

	private static final Path DEPLOY = Path.of("..", "deploy").toAbsolutePath().normalize();

	private static final int HOSTS = 3;

	private static final int APP_PORT = 8080;

	private static final int BALANCER_PORT = 8000;

	private static final int STATS_PORT = 8404;

	private static final Duration STARTUP = Duration.ofSeconds(120);

	private static final Pattern DEPLOYED = Pattern
		.compile("\"msg\": \"(h\\d): (.+?) deployed in (\\d+):(\\d+):([0-9.]+): ([^\"]*)\"");

	private static final Pattern FAILED = Pattern
		.compile("\"msg\": \"(h\\d) did not take .+? zerodowntime-deploy exited \\d+ after (\\d+):(\\d+):([0-9.]+): ");

	/** Unique per run: parallel runs do not collide. */
	private final String tag = "zdt" + ProcessHandle.current().pid();

	private final List<String> namespaces = new ArrayList<>();

	private final List<Process> processes = new ArrayList<>();

	@TempDir
	Path dir;

	@AfterEach
	void stopEverythingAndDeleteTheNamespaces() throws Exception {
		// every process in the test's namespaces, by pid: JVM generations, HAProxy, load
		Set<Long> pids = new LinkedHashSet<>();
		for (String namespace : this.namespaces) {
			pids.addAll(pidsIn(namespace));
		}
		this.processes.forEach((process) -> pids.add(process.pid()));
		pids.forEach((pid) -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy));
		long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
		while (System.nanoTime() < deadline && pids.stream().anyMatch(FleetRolloutIT::alive)) {
			Thread.sleep(200);
		}
		pids.forEach((pid) -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
		for (String namespace : this.namespaces) {
			run(Duration.ofSeconds(30), "ip", "netns", "delete", namespace);
		}
	}

	@Test
	void rollsAReleaseAcrossThreeHostsBehindHaproxyAndStopsAtTheFirstHostThatCannotTakeOne() throws Exception {
		requireRootAndTools();
		Path r1 = release("sample-app-r1.jar", "sample.release=r1");
		Path r2 = release("sample-app-r2.jar", "sample.release=r2");
		// release 3 refuses to start where a host's own configuration says so: on host 2
		// only
		Path r3 = release("sample-app-r3.jar", "sample.release=r3",
				"sample.fail-on-start=${fleet.release-3-breaks-here:false}");

		String balancer = namespace("lb");
		List<Host> hosts = new ArrayList<>();
		for (int i = 1; i <= HOSTS; i++) {
			hosts.add(host(i, balancer, r1));
		}
		for (Host host : hosts) {
			host.awaitReady();
		}
		startHaproxy(balancer, hosts);
		Path inventory = inventory(hosts);

		// release 2, one host at a time, under load: no failed request, every host on
		// release 2
		Load load = Load.start(this, balancer, "rollout-r2");
		Playbook rollout = ansible(inventory, "rollout.yml", "-e", "zerodowntime_release_jar=" + r2);
		Load.Figures rolloutLoad = load.stop();
		report("rollout of release 2", rollout, rolloutLoad);
		assertThat(rollout.exitCode()).as(rollout.output()).isZero();
		assertThat(rollout.perHost()).as(rollout.output()).containsOnlyKeys("h1", "h2", "h3");
		rolloutLoad.assertNoFailure();
		for (Host host : hosts) {
			assertThat(host.release()).as("release served by %s", host.name()).isEqualTo("r2");
			assertThat(host.jar()).hasSameBinaryContentAs(r2);
		}
		assertThat(rolloutLoad.releases()).containsKeys("r1", "r2");

		// the same release again: nothing to do (one host is enough to show it, and
		// cheaper)
		Playbook again = ansible(inventory, "rollout.yml", "--limit", "h3", "-e", "zerodowntime_release_jar=" + r2);
		assertThat(again.exitCode()).as(again.output()).isZero();
		assertThat(again.output()).containsPattern("(?m)^h3 .*changed=0 ");
		assertThat(again.perHost()).isEmpty();

		// release 3 fails on host 2: the play stops there, hosts 2 and 3 serve release 2
		load = Load.start(this, balancer, "rollout-r3");
		Playbook failing = ansible(inventory, "rollout.yml", "-e", "zerodowntime_release_jar=" + r3);
		Load.Figures failingLoad = load.stop();
		report("rollout of release 3 (fails on host 2)", failing, failingLoad);
		assertThat(failing.exitCode()).as(failing.output()).isNotZero();
		assertThat(failing.output()).contains("h2 did not take sample-app-r3.jar: zerodowntime-deploy exited 1")
			.contains("refuses to start")
			.contains("h2 serves on with the release it ran before")
			.doesNotContain("[h3]");
		assertThat(failing.perHost()).containsOnlyKeys("h1");
		assertThat(failing.failures()).containsOnlyKeys("h2");
		failingLoad.assertNoFailure();
		assertThat(hosts.get(0).release()).isEqualTo("r3");
		assertThat(hosts.get(1).release()).isEqualTo("r2");
		assertThat(hosts.get(2).release()).isEqualTo("r2");
		assertThat(hosts.get(1).jar()).hasSameBinaryContentAs(r2);
		assertThat(hosts.get(2).jar()).hasSameBinaryContentAs(r2);

		// the rollback playbook puts host 1 back on release 2
		load = Load.start(this, balancer, "rollback");
		Playbook rollback = ansible(inventory, "rollback.yml", "--limit", "h1");
		Load.Figures rollbackLoad = load.stop();
		report("rollback of host 1", rollback, rollbackLoad);
		assertThat(rollback.exitCode()).as(rollback.output()).isZero();
		rollbackLoad.assertNoFailure();
		for (Host host : hosts) {
			assertThat(host.release()).as("release served by %s", host.name()).isEqualTo("r2");
		}

		// no upgrade took a host out of the balancer: its health checks never marked one
		// down
		Map<String, String> checks = balancerChecks(balancer);
		System.out.println("FLEET balancer: " + checks);
		assertThat(checks).as("each server's status and UP-to-DOWN transitions in HAProxy's statistics")
			.containsOnlyKeys("h1", "h2", "h3")
			.allSatisfy((server, state) -> assertThat(state).isEqualTo("UP, 0 transitions to DOWN"));
	}

	/** HAProxy's statistics (CSV) of the app backend's servers: status and chkdown. */
	private Map<String, String> balancerChecks(String balancer) throws Exception {
		String csv = inNamespace(balancer, "curl", "-s", "--max-time", "10",
				"http://127.0.0.1:" + STATS_PORT + "/stats;csv")
			.output();
		String[] lines = csv.split("\n");
		List<String> columns = List.of(lines[0].replaceFirst("^# ", "").split(","));
		Map<String, String> servers = new TreeMap<>();
		for (String line : lines) {
			List<String> row = List.of(line.split(",", -1));
			if (row.size() > columns.indexOf("chkdown") && row.get(0).equals("app") && row.get(1).matches("h\\d")) {
				servers.put(row.get(1), row.get(columns.indexOf("status")) + ", " + row.get(columns.indexOf("chkdown"))
						+ " transitions to DOWN");
			}
		}
		return servers;
	}

	private void requireRootAndTools() throws Exception {
		Run id = run(Duration.ofSeconds(10), "id", "-u");
		assertThat(id.output().trim()).as("FleetRolloutIT makes network namespaces: run it as root, as CI does")
			.isEqualTo("0");
		List<String> missing = new ArrayList<>();
		Map<String, String> packages = Map.of("ip", "iproute2", "ansible-playbook", "ansible-core", "haproxy",
				"haproxy", "wrk", "wrk", "curl", "curl");
		for (Map.Entry<String, String> tool : new TreeMap<>(packages).entrySet()) {
			if (run(Duration.ofSeconds(10), "sh", "-c", "command -v " + tool.getKey()).exitCode() != 0) {
				missing.add(tool.getValue());
			}
		}
		if (!missing.isEmpty()) {
			fail("FleetRolloutIT needs " + missing + ": apt-get install -y --no-install-recommends "
					+ String.join(" ", missing));
		}
		assertThat(DEPLOY.resolve("ansible/rollout.yml")).as("the playbooks (run from sample-app/)").isRegularFile();
	}

	/** A copy of the packaged app with lines added to its application.properties. */
	private Path release(String name, String... properties) throws IOException {
		Path jar = Files.copy(AppUnderTest.appJar(), this.dir.resolve(name));
		try (FileSystem zip = FileSystems.newFileSystem(jar)) {
			Path file = zip.getPath("BOOT-INF/classes/application.properties");
			String content = Files.readString(file) + "\n" + String.join("\n", properties) + "\n";
			Files.writeString(file, content);
		}
		return jar;
	}

	private String namespace(String role) throws Exception {
		String name = this.tag + "-" + role;
		run(Duration.ofSeconds(30), "ip", "netns", "add", name).require();
		this.namespaces.add(name);
		run(Duration.ofSeconds(30), "ip", "-n", name, "link", "set", "lo", "up").require();
		return name;
	}

	/**
	 * Host {@code i}: a namespace linked to the balancer's by a veth pair (10.231.0.4i+1
	 * on the balancer's side, 10.231.0.4i+2 on the host's), running release 1 as
	 * generation 1.
	 */
	private Host host(int i, String balancer, Path firstRelease) throws Exception {
		String namespace = namespace("h" + i);
		String address = "10.231.0." + (4 * i + 2);
		run(Duration.ofSeconds(30), "ip", "link", "add", "name", "h" + i, "netns", balancer, "type", "veth", "peer",
				"name", "eth0", "netns", namespace)
			.require();
		run(Duration.ofSeconds(30), "ip", "-n", balancer, "address", "add", "10.231.0." + (4 * i + 1) + "/30", "dev",
				"h" + i)
			.require();
		run(Duration.ofSeconds(30), "ip", "-n", namespace, "address", "add", address + "/30", "dev", "eth0").require();
		run(Duration.ofSeconds(30), "ip", "-n", balancer, "link", "set", "h" + i, "up").require();
		run(Duration.ofSeconds(30), "ip", "-n", namespace, "link", "set", "eth0", "up").require();

		Path home = Files.createDirectories(this.dir.resolve("h" + i));
		Path app = Files.createDirectories(home.resolve("app"));
		Path config = Files.createDirectories(home.resolve("config"));
		Files.createDirectories(home.resolve("run"));
		Path jar = Files.copy(firstRelease, app.resolve("sample-app.jar"));
		Files.writeString(config.resolve("application.properties"),
				(i == 2) ? "fleet.release-3-breaks-here=true\n" : "# nothing host-specific\n");
		List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", namespace, AppUnderTest.java().toString(),
				"-Xms32m", "-Xmx192m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar", jar.toString(),
				"--server.address=0.0.0.0", "--server.port=" + APP_PORT, "--management.server.port=8081",
				"--management.server.address=127.0.0.1", "--management.endpoint.health.probes.enabled=true",
				"--management.endpoint.health.probes.add-additional-paths=true",
				"--spring.config.additional-location=optional:file:" + config + "/",
				"--zerodowntime.control-socket=" + home.resolve("run/control.sock"),
				"--zerodowntime.pid-file=" + home.resolve("run/app.pid"), "--zerodowntime.upgrade-timeout=90s",
				"--zerodowntime.drain-timeout=10s", "--zerodowntime.probation=3s"));
		Process process = new ProcessBuilder(command).directory(app.toFile())
			.redirectErrorStream(true)
			.redirectOutput(home.resolve("app.log").toFile())
			.start();
		this.processes.add(process);
		return new Host(this, "h" + i, namespace, balancer, address, home);
	}

	/**
	 * The shipped configuration, with the test's addresses and without what needs the
	 * system's daemon.
	 */
	private void startHaproxy(String balancer, List<Host> hosts) throws Exception {
		List<String> lines = new ArrayList<>();
		for (String line : Files.readAllLines(DEPLOY.resolve("haproxy/haproxy.cfg"))) {
			String trimmed = line.trim();
			if (trimmed.matches("(chroot|user|group|daemon|stats socket|log /dev/log)\\b.*")) {
				continue;
			}
			if (trimmed.startsWith("bind ")) {
				lines.add("    bind 127.0.0.1:" + BALANCER_PORT);
			}
			else if (trimmed.startsWith("server ")) {
				if (trimmed.startsWith("server app1 ")) {
					hosts.forEach(
							(host) -> lines.add("    server " + host.name() + " " + host.address() + ":" + APP_PORT));
				}
			}
			else {
				lines.add(line);
			}
		}
		assertThat(lines).as("the shipped haproxy.cfg").anyMatch((l) -> l.contains("uri /readyz"));
		lines.addAll(List.of("", "frontend stats", "    bind 127.0.0.1:" + STATS_PORT, "    stats enable",
				"    stats uri /stats"));
		Path config = Files.write(this.dir.resolve("haproxy.cfg"), lines);
		run(Duration.ofSeconds(30), "haproxy", "-c", "-f", config.toString()).require();
		Process haproxy = new ProcessBuilder("ip", "netns", "exec", balancer, "haproxy", "-db", "-f", config.toString())
			.redirectErrorStream(true)
			.redirectOutput(this.dir.resolve("haproxy.log").toFile())
			.start();
		this.processes.add(haproxy);
		// in rotation: the balancer's health checks have seen every host up
		Set<String> served = new LinkedHashSet<>();
		long deadline = System.nanoTime() + STARTUP.toNanos();
		while (served.size() < HOSTS) {
			if (System.nanoTime() > deadline) {
				fail("HAProxy did not route to all hosts within " + STARTUP + " (saw pids " + served + "):\n"
						+ Files.readString(this.dir.resolve("haproxy.log")));
			}
			Run probe = inNamespace(balancer, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %header{x-pid}",
					"--max-time", "10", "http://127.0.0.1:" + BALANCER_PORT + "/");
			String[] answer = probe.output().trim().split(" ");
			if (answer.length == 2 && answer[0].equals("200")) {
				served.add(answer[1]);
			}
			else {
				Thread.sleep(500);
			}
		}
	}

	private Path inventory(List<Host> hosts) throws IOException {
		StringBuilder inventory = new StringBuilder("[zerodowntime]\n");
		for (Host host : hosts) {
			inventory.append(host.name())
				.append(" zerodowntime_home=")
				.append(host.home().resolve("app"))
				.append(" zerodowntime_control_socket=")
				.append(host.home().resolve("run/control.sock"))
				.append('\n');
		}
		inventory.append("""

				[zerodowntime:vars]
				ansible_connection=local
				ansible_python_interpreter=/usr/bin/python3
				zerodowntime_service_manager=none
				zerodowntime_app=sample-app
				zerodowntime_deploy_timeout=150
				""");
		return Files.writeString(this.dir.resolve("inventory.ini"), inventory);
	}

	private Playbook ansible(Path inventory, String playbook, String... args) throws Exception {
		List<String> command = new ArrayList<>(List.of("ansible-playbook", "-i", inventory.toString(),
				DEPLOY.resolve("ansible/" + playbook).toString()));
		command.addAll(List.of(args));
		ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
		Path temp = Files.createDirectories(this.dir.resolve("ansible-tmp"));
		builder.environment().put("ANSIBLE_NOCOLOR", "1");
		builder.environment().put("ANSIBLE_LOCAL_TEMP", temp.toString());
		builder.environment().put("ANSIBLE_REMOTE_TEMP", temp.toString());
		builder.environment().put("ANSIBLE_RETRY_FILES_ENABLED", "false");
		// modules fed to python on stdin: fewer processes per task on a busy machine
		builder.environment().put("ANSIBLE_PIPELINING", "true");
		long started = System.nanoTime();
		Run run = run(builder, Duration.ofSeconds(400));
		Duration took = Duration.ofNanos(System.nanoTime() - started);
		Map<String, String> perHost = new TreeMap<>();
		Map<String, String> failures = new TreeMap<>();
		Matcher deployed = DEPLOYED.matcher(run.output());
		while (deployed.find()) {
			perHost.put(deployed.group(1), seconds(deployed.group(3), deployed.group(4), deployed.group(5)));
		}
		Matcher failed = FAILED.matcher(run.output());
		while (failed.find()) {
			failures.put(failed.group(1), seconds(failed.group(2), failed.group(3), failed.group(4)));
		}
		System.out.println("[ansible-playbook " + playbook + " " + String.join(" ", args) + "] exit " + run.exitCode()
				+ " in " + took.toMillis() + " ms\n" + run.output());
		return new Playbook(run.exitCode(), run.output(), took, perHost, failures);
	}

	/** Ansible's h:mm:ss.ffffff as seconds. */
	private static String seconds(String hours, String minutes, String seconds) {
		return String.format("%.1f s",
				Integer.parseInt(hours) * 3600 + Integer.parseInt(minutes) * 60 + Double.parseDouble(seconds));
	}

	private static void report(String what, Playbook playbook, Load.Figures load) {
		System.out.printf("FLEET %s: playbook exit %d in %.1f s, zerodowntime-deploy per host %s, failed %s; %s%n",
				what, playbook.exitCode(), playbook.took().toMillis() / 1000.0, playbook.perHost(), playbook.failures(),
				load.summary());
	}

	Run inNamespace(String namespace, String... command) throws Exception {
		List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
		full.addAll(List.of(command));
		return run(Duration.ofSeconds(30), full.toArray(String[]::new));
	}

	Process startInNamespace(String namespace, Path output, String... command) throws IOException {
		List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
		full.addAll(List.of(command));
		Process process = new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(output.toFile()).start();
		this.processes.add(process);
		return process;
	}

	Path dir() {
		return this.dir;
	}

	private static List<Long> pidsIn(String namespace) throws Exception {
		Run pids = run(Duration.ofSeconds(30), "ip", "netns", "pids", namespace);
		List<Long> result = new ArrayList<>();
		for (String line : pids.output().split("\\s+")) {
			if (line.matches("\\d+")) {
				result.add(Long.parseLong(line));
			}
		}
		return result;
	}

	private static boolean alive(long pid) {
		return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
	}

	static Run run(Duration timeout, String... command) throws Exception {
		return run(new ProcessBuilder(command).redirectErrorStream(true), timeout);
	}

	private static Run run(ProcessBuilder builder, Duration timeout) throws Exception {
		Path output = Files.createTempFile("fleet-run", ".out");
		try {
			Process process = builder.redirectOutput(output.toFile()).start();
			process.getOutputStream().close();
			if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
				process.destroyForcibly().waitFor();
				fail(String.join(" ", builder.command()) + " did not finish within " + timeout + ":\n"
						+ Files.readString(output));
			}
			return new Run(String.join(" ", builder.command()), process.exitValue(), Files.readString(output));
		}
		finally {
			Files.deleteIfExists(output);
		}
	}

	/** A finished command. */
	record Run(String command, int exitCode, String output) {

		Run require() {
			assertThat(this.exitCode).as("%s: %s", this.command, this.output).isZero();
			return this;
		}

	}

	/**
	 * A finished playbook, and how long zerodowntime-deploy took on each host it deployed
	 * to, and on each host where it failed.
	 */
	record Playbook(int exitCode, String output, Duration took, Map<String, String> perHost,
			Map<String, String> failures) {

	}

	/** One application host: its namespace, its address and its directory. */
	record Host(FleetRolloutIT test, String name, String namespace, String balancer, String address, Path home) {

		/** Wait until it answers its readiness check, from the balancer's namespace. */
		void awaitReady() throws Exception {
			long deadline = System.nanoTime() + STARTUP.toNanos();
			while (true) {
				Run check = this.test.inNamespace(this.balancer, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
						"--max-time", "10", url("/readyz"));
				if (check.output().trim().equals("200")) {
					return;
				}
				if (System.nanoTime() > deadline) {
					fail(this.name + " not ready within " + STARTUP + ":\n"
							+ Files.readString(this.home.resolve("app.log")));
				}
				Thread.sleep(500);
			}
		}

		/**
		 * The release it serves ({@code X-Release}), asked directly, not through the
		 * balancer.
		 */
		String release() throws Exception {
			Run answer = this.test.inNamespace(this.balancer, "curl", "-s", "-o", "/dev/null", "-w",
					"%{http_code} %header{x-release}", "--max-time", "10", url("/"));
			String[] parts = answer.output().trim().split(" ");
			assertThat(parts).as("%s answered %s", this.name, answer.output()).hasSize(2).startsWith("200");
			return parts[1];
		}

		Path jar() {
			return this.home.resolve("app/sample-app.jar");
		}

		private String url(String path) {
			return "http://" + this.address + ":" + APP_PORT + path;
		}

	}

	/**
	 * Load through the balancer, from its namespace: wrk (keep-alive connections, paced)
	 * and a probe that sends one request at a time on a new connection each.
	 */
	static final class Load {

		private static final String WRK_SCRIPT = """
				-- counts non-2xx responses and responses by X-Release, over all threads
				local threads = {}
				function setup(thread)
				  table.insert(threads, thread)
				end
				function init(args)
				  non2xx = 0
				  releases = {}
				  pace = tonumber(args[1]) or 0
				end
				function delay()
				  return pace
				end
				function response(status, headers, body)
				  if status < 200 or status > 299 then
				    non2xx = non2xx + 1
				  end
				  -- HAProxy passes header names on in lower case
				  local r = headers["x-release"] or headers["X-Release"] or "none"
				  releases[r] = (releases[r] or 0) + 1
				end
				function done(summary, latency, requests)
				  local n, all, parts = 0, {}, {}
				  for _, t in ipairs(threads) do
				    n = n + t:get("non2xx")
				    for r, c in pairs(t:get("releases")) do
				      all[r] = (all[r] or 0) + c
				    end
				  end
				  for r, c in pairs(all) do
				    table.insert(parts, r .. ":" .. c)
				  end
				  io.write(string.format("fleet-wrk non2xx=%d releases=%s\\n", n, table.concat(parts, ",")))
				end
				""";

		private static final String PROBE_SCRIPT = """
				# one request at a time, each on a new connection: "<curl exit> <status> <X-Release>"
				while [ ! -e "$1" ]; do
				  answer=$(curl -s -o /dev/null --max-time 20 -w '%{http_code} %header{x-release}' "$2")
				  echo "$? $answer"
				  sleep 0.1
				done
				""";

		private static final Pattern WRK_REQUESTS = Pattern.compile("(?m)^\\s*(\\d+) requests in ");

		private static final Pattern WRK_ERRORS = Pattern
			.compile("(?m)^\\s*Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");

		private static final Pattern WRK_STATUS = Pattern.compile("(?m)^\\s*Non-2xx or 3xx responses: (\\d+)");

		private static final Pattern WRK_SCRIPT_LINE = Pattern.compile("(?m)^fleet-wrk non2xx=(\\d+) releases=(\\S*)");

		private final String name;

		private final Process wrk;

		private final Process probe;

		private final Path wrkOutput;

		private final Path probeOutput;

		private final Path stopFile;

		private Load(String name, Process wrk, Process probe, Path wrkOutput, Path probeOutput, Path stopFile) {
			this.name = name;
			this.wrk = wrk;
			this.probe = probe;
			this.wrkOutput = wrkOutput;
			this.probeOutput = probeOutput;
			this.stopFile = stopFile;
		}

		static Load start(FleetRolloutIT test, String balancer, String name) throws Exception {
			Path dir = test.dir();
			Path script = Files.writeString(dir.resolve(name + ".lua"), WRK_SCRIPT);
			Path probeScript = Files.writeString(dir.resolve(name + "-probe.sh"), PROBE_SCRIPT);
			Path stop = dir.resolve(name + ".stop");
			String url = "http://127.0.0.1:" + BALANCER_PORT + "/";
			Path wrkOutput = dir.resolve(name + "-wrk.out");
			Path probeOutput = dir.resolve(name + "-probe.out");
			Process wrk = test.startInNamespace(balancer, wrkOutput, "wrk", "-t", "1", "-c", "4", "-d", "480s",
					"--timeout", "20s", "-s", script.toString(), url, "--", "5");
			Process probe = test.startInNamespace(balancer, probeOutput, "bash", probeScript.toString(),
					stop.toString(), url);
			return new Load(name, wrk, probe, wrkOutput, probeOutput, stop);
		}

		Figures stop() throws Exception {
			Files.writeString(this.stopFile, "stop\n");
			run(Duration.ofSeconds(10), "kill", "-INT", Long.toString(this.wrk.pid())).require();
			if (!this.wrk.waitFor(30, TimeUnit.SECONDS) || !this.probe.waitFor(60, TimeUnit.SECONDS)) {
				fail(this.name + ": the load did not stop");
			}
			String wrk = Files.readString(this.wrkOutput);
			Matcher requests = WRK_REQUESTS.matcher(wrk);
			Matcher line = WRK_SCRIPT_LINE.matcher(wrk);
			if (!requests.find() || !line.find()) {
				fail(this.name + ": no summary in wrk's output:\n" + wrk);
			}
			Matcher errors = WRK_ERRORS.matcher(wrk);
			long socketErrors = 0;
			if (errors.find()) {
				for (int group = 1; group <= 4; group++) {
					socketErrors += Long.parseLong(errors.group(group));
				}
			}
			Matcher status = WRK_STATUS.matcher(wrk);
			long non2xx = Math.max(status.find() ? Long.parseLong(status.group(1)) : 0, Long.parseLong(line.group(1)));
			Map<String, Long> releases = new TreeMap<>();
			for (String entry : line.group(2).split(",")) {
				if (!entry.isEmpty()) {
					String[] parts = entry.split(":");
					releases.merge(parts[0], Long.parseLong(parts[1]), Long::sum);
				}
			}
			long probes = 0;
			List<String> probeFailures = new ArrayList<>();
			for (String answer : Files.readAllLines(this.probeOutput)) {
				String[] parts = answer.trim().split(" ");
				probes++;
				if (parts.length < 3 || !parts[0].equals("0") || !parts[1].equals("200")) {
					probeFailures.add(answer);
				}
				else {
					releases.merge(parts[2], 1L, Long::sum);
				}
			}
			return new Figures(this.name, Long.parseLong(requests.group(1)), socketErrors, non2xx, probes,
					probeFailures, releases, wrk);
		}

		/** What the load saw. */
		record Figures(String name, long requests, long socketErrors, long non2xx, long probes,
				List<String> probeFailures, Map<String, Long> releases, String wrkOutput) {

			void assertNoFailure() {
				assertThat(this.requests).as("wrk's requests in %s", this.name).isPositive();
				assertThat(this.socketErrors).as("wrk's socket errors in %s:\n%s", this.name, this.wrkOutput).isZero();
				assertThat(this.non2xx).as("wrk's non-2xx responses in %s", this.name).isZero();
				assertThat(this.probes).as("probe requests in %s", this.name).isPositive();
				assertThat(this.probeFailures).as("failed probe requests in %s", this.name).isEmpty();
			}

			String summary() {
				return String.format(
						"wrk %d requests, %d socket errors, %d non-2xx; probe %d requests, %d failed; by release %s",
						this.requests, this.socketErrors, this.non2xx, this.probes, this.probeFailures.size(),
						this.releases);
			}

		}

	}

}
