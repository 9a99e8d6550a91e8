package io.zerodowntime.sample.it;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packaged sample application started the way systemd starts a socket-activated
 * service: it must serve on the listeners it is passed (by name, {@code http} and
 * {@code management}) without binding anew, refuse to start with a clear report when a
 * passed fd is not a listener, and ignore variables meant for another process.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SocketActivationIT {

	private static final Path SOCKET_ACTIVATE = Path.of("/usr/bin/systemd-socket-activate");

	private static final Duration STARTUP = Duration.ofSeconds(60);

	private static final Duration QUICK = Duration.ofSeconds(10);

	private static final List<String> LISTEN_VARIABLES = List.of("LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES");

	private static final Pattern SOCKET = Pattern.compile("^socket:\\[(\\d+)]$");

	@TempDir
	Path dir;

	private AppUnderTest app;

	@AfterEach
	void stopEverythingStarted() {
		if (this.app != null) {
			this.app.close();
		}
	}

	@Test
	void servesOnTheListenersItIsPassedByName() throws Exception {
		AppUnderTest.requireTool(SOCKET_ACTIVATE.toString(), "systemd", "it is what passes listeners here");
		int[] ports = Http.freePorts(2);
		int http = ports[0];
		int management = ports[1];
		AppUnderTest app = start((launch) -> launch
			.launcher(SOCKET_ACTIVATE.toString(), "-l", Http.HOST + ":" + http, "-l", Http.HOST + ":" + management,
					"--fdname=http:management")
			.args("--server.port=" + http, "--management.server.port=" + management));

		// systemd-socket-activate binds, then waits for a first connection before it
		// execs
		app.awaitLog("Listening on " + Pattern.quote(Http.HOST + ":" + http) + " as 3\\.", QUICK);
		app.awaitLog("Listening on " + Pattern.quote(Http.HOST + ":" + management) + " as 4\\.", QUICK);
		Map<Integer, String> activatorFds = Procfs.fds(app.processPid());
		long httpInode = inode(activatorFds.get(3));
		long managementInode = inode(activatorFds.get(4));
		assertThat(Procfs.listeners(http)).as("listeners on %d created by the activator", http)
			.containsExactly(httpInode);
		assertThat(Procfs.listeners(management)).as("listeners on %d created by the activator", management)
			.containsExactly(managementInode);

		// the triggering connection waits in the backlog and must be served by the app
		CompletableFuture<Http.Response> first = CompletableFuture.supplyAsync(() -> Http.get(http, "/", STARTUP));
		app.awaitLog("Execing ", QUICK);
		long pid = app.jvmPid();
		assertThat(pid).as("the activator execs the JVM in its own process").isEqualTo(app.processPid());
		app.awaitLog("Started SampleApplication", STARTUP);

		Http.Response firstResponse = first.get(STARTUP.toSeconds(), TimeUnit.SECONDS);
		assertThat(firstResponse.status()).as("response to the connection that triggered activation: %s", firstResponse)
			.isEqualTo(200);
		assertThat(firstResponse.header("X-Pid")).isEqualTo(Long.toString(pid));

		Http.Response root = Http.get(http, "/");
		assertThat(root.status()).as("GET / on %d: %s", http, root).isEqualTo(200);
		assertThat(root.header("X-Pid")).as("X-Pid of GET /").isEqualTo(Long.toString(pid));
		assertThat(root.header("X-Generation")).as("X-Generation of GET /").isEqualTo("1");

		// readiness turns UP with ApplicationReadyEvent, a moment after "Started ..." is
		// logged
		AtomicReference<Http.Response> health = new AtomicReference<>();
		try {
			Awaitility.await("GET /actuator/health on " + management + " to answer 200")
				.atMost(QUICK)
				.pollInterval(Duration.ofMillis(100))
				.until(() -> {
					health.set(Http.get(management, "/actuator/health"));
					return health.get().status() == 200;
				});
		}
		catch (ConditionTimeoutException ex) {
			throw new AssertionError("GET /actuator/health on " + management + " last answered " + health.get(), ex);
		}
		assertThat(health.get().text()).contains("\"UP\"");

		// the app did not bind anew: the one listener on each port is the activator's
		// socket
		assertThat(Procfs.listeners(http)).as("listeners on the http port %d", http).containsExactly(httpInode);
		assertThat(Procfs.listeners(management)).as("listeners on the management port %d", management)
			.containsExactly(managementInode);
		assertThat(Procfs.socketInodes(pid)).as("sockets held by the JVM (fds %s)", Procfs.fds(pid))
			.contains(httpInode, managementInode);

		// Boot's own log names the real ports, not a placeholder
		List<String> startedLines = app.lines().stream().filter((line) -> line.contains("Tomcat started on")).toList();
		assertThat(startedLines).as("Tomcat's 'started' lines").hasSize(2);
		assertThat(startedLines).as("main server's 'started' line")
			.anyMatch((line) -> Pattern.compile("Tomcat started on port " + http + " \\(http\\)").matcher(line).find());
		assertThat(startedLines).as("management server's 'started' line")
			.anyMatch((line) -> Pattern.compile("Tomcat started on port " + management + " \\(http\\)")
				.matcher(line)
				.find());

		Map<String, String> environ = Procfs.environ(app.jvmPid());
		assertThat(environ).as("/proc/%d/environ (read at all)", pid).containsKey("PATH");
		assertThat(environ).as("/proc/%d/environ", pid).doesNotContainKeys(LISTEN_VARIABLES.toArray(String[]::new));
	}

	@Test
	void refusesToStartWhenThePassedFdIsARegularFile() throws Exception {
		int port = Http.freePort();
		// sh sets LISTEN_PID to its own pid, opens fd 3 on a regular file, then execs the
		// JVM
		AppUnderTest app = start((launch) -> launch
			.launcher("/bin/sh", "-c", "file=$1; shift; export LISTEN_PID=$$; exec \"$@\" 3<\"$file\"", "sh",
					AppUnderTest.appJar().toString())
			.env("LISTEN_FDS", "1")
			.args("--server.port=" + port));

		int exitCode = app.awaitExit(STARTUP);
		String output = app.output();
		assertThat(exitCode).as("exit code; output:%n%s", output).isNotZero();
		assertThat(output).contains("APPLICATION FAILED TO START");

		List<String> lines = app.lines();
		int description = lines.indexOf("Description:");
		int action = lines.indexOf("Action:");
		assertThat(description).as("'Description:' line in:%n%s", output).isNotNegative();
		assertThat(action).as("'Action:' line after the description in:%n%s", output).isGreaterThan(description);
		String descriptionText = String.join("\n", lines.subList(description + 1, action)).trim();
		String actionText = String.join("\n", lines.subList(action + 1, lines.size())).trim();
		assertThat(descriptionText).as("description").contains("fd 3").contains("regular file");
		assertThat(actionText).as("action").isNotBlank();

		assertThat(lines).as("stack trace lines in the output")
			.noneMatch((line) -> line.matches("\\s+at \\S+\\(.*\\)"));
		assertThat(output).doesNotContain("Application run failed");
		assertThat(Procfs.listeners(port)).as("listeners on %d", port).isEmpty();
	}

	@Test
	void ignoresVariablesMeantForAnotherProcess() {
		int port = Http.freePort();
		long otherPid = ProcessHandle.current().pid();
		AppUnderTest app = start((launch) -> launch.env("LISTEN_FDS", "1")
			.env("LISTEN_PID", Long.toString(otherPid))
			.env("LISTEN_FDNAMES", "http")
			.args("--server.port=" + port));

		long pid = app.jvmPid();
		assertThat(pid).isNotEqualTo(otherPid);
		app.awaitLog("(?i)ignor.*LISTEN_PID", STARTUP);
		app.awaitLog("Started SampleApplication", STARTUP);
		app.awaitLog("Tomcat started on port " + port + " \\(http\\)", QUICK);

		Http.Response root = Http.get(port, "/");
		assertThat(root.status()).as("GET / on %d: %s", port, root).isEqualTo(200);
		assertThat(root.header("X-Pid")).isEqualTo(Long.toString(pid));
		List<Long> listeners = Procfs.listeners(port);
		assertThat(listeners).as("listeners on %d", port).hasSize(1);
		assertThat(Procfs.socketInodes(pid)).as("sockets held by the JVM").contains(listeners.get(0));
	}

	private AppUnderTest start(UnaryOperator<AppUnderTest.Launch> launch) {
		this.app = new AppUnderTest(this.dir);
		this.app.launch(launch);
		return this.app;
	}

	private static long inode(String fdTarget) {
		assertThat(fdTarget).as("fd target").isNotNull();
		Matcher matcher = SOCKET.matcher(fdTarget);
		assertThat(matcher.matches()).as("'%s' is a socket", fdTarget).isTrue();
		return Long.parseLong(matcher.group(1));
	}

}
