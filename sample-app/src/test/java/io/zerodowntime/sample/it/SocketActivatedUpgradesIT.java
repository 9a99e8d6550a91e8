package io.zerodowntime.sample.it;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The sample app started by {@code systemd-socket-activate}, as a {@code .socket} unit
 * starts it, then upgraded twice: generation 3 still serves on the very sockets the
 * activator created (same inodes, nothing bound anew), although the activator's
 * {@code LISTEN_PID} named generation 1; and each handover is announced by the main
 * process of the moment with {@code MAINPID=}.
 */
@Timeout(value = 400, unit = TimeUnit.SECONDS)
class SocketActivatedUpgradesIT {

	private static final Path SOCKET_ACTIVATE = Path.of("/usr/bin/systemd-socket-activate");

	private static final Duration STARTUP = Duration.ofSeconds(90);

	private static final Duration QUICK = Duration.ofSeconds(10);

	private static final Pattern SOCKET = Pattern.compile("^socket:\\[(\\d+)]$");

	@TempDir
	Path dir;

	private AppUnderTest app;

	private NotifySocket notifySocket;

	@AfterEach
	void cleanUp() {
		if (this.app != null) {
			this.app.close();
		}
		if (this.notifySocket != null) {
			this.notifySocket.close();
		}
	}

	@Test
	void generation3StillServesOnTheActivatorsSockets() throws Exception {
		AppUnderTest.requireTool(SOCKET_ACTIVATE.toString(), "systemd", "it is what passes listeners here");
		int[] ports = Http.freePorts(2);
		int http = ports[0];
		int management = ports[1];
		this.notifySocket = NotifySocket.bind();
		this.app = new AppUnderTest(this.dir);
		this.app.launch((launch) -> launch
			.launcher(SOCKET_ACTIVATE.toString(), "-l", Http.HOST + ":" + http, "-l", Http.HOST + ":" + management,
					"--fdname=http:management", "--setenv=NOTIFY_SOCKET=" + this.notifySocket.address())
			.args("--server.port=" + http, "--management.server.port=" + management));
		this.app.awaitLog("Listening on " + Pattern.quote(Http.HOST + ":" + http) + " as 3\\.", QUICK);
		this.app.awaitLog("Listening on " + Pattern.quote(Http.HOST + ":" + management) + " as 4\\.", QUICK);
		Map<Integer, String> activatorFds = Procfs.fds(this.app.processPid());
		long httpInode = inode(activatorFds.get(3));
		long managementInode = inode(activatorFds.get(4));

		// the first connection makes the activator exec the JVM, which serves it
		CompletableFuture<Http.Response> first = CompletableFuture.supplyAsync(() -> Http.get(http, "/", STARTUP));
		long gen1 = this.app.jvmPid();
		assertThat(first.get(STARTUP.toSeconds(), TimeUnit.SECONDS).header("X-Generation")).isEqualTo("1");
		assertThat(this.notifySocket.next(STARTUP).text()).startsWith("READY=1\n");
		assertThat(Procfs.environ(gen1)).as("generation 1's environment")
			.doesNotContainKeys("LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES");

		long gen2 = upgrade(management, 2, gen1);
		await("generation 1 to drain and exit").atMost(STARTUP).until(() -> !this.app.isAlive());
		long gen3 = upgrade(management, 3, gen2);
		await("generation 2 to drain and exit").atMost(STARTUP)
			.until(() -> ProcessHandle.of(gen2).map((p) -> !p.isAlive()).orElse(true));

		Http.Response root = Http.get(http, "/");
		assertThat(root.status()).as("GET / on %d: %s", http, root).isEqualTo(200);
		assertThat(root.header("X-Generation")).isEqualTo("3");
		assertThat(root.header("X-Pid")).isEqualTo(Long.toString(gen3));
		assertThat(Http.get(management, "/actuator/health").status()).isEqualTo(200);
		assertThat(Procfs.listeners(http)).as("listeners on the http port %d", http).containsExactly(httpInode);
		assertThat(Procfs.listeners(management)).as("listeners on the management port %d", management)
			.containsExactly(managementInode);
		assertThat(Procfs.socketInodes(gen3)).as("sockets held by generation 3 (fds %s)", Procfs.fds(gen3))
			.contains(httpInode, managementInode);
		assertThat(Procfs.environ(gen3)).as("generation 3's environment")
			.doesNotContainKeys("LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES");
		assertThat(this.notifySocket.received()).as("notifications")
			.extracting(NotifySocket.Message::pid)
			.containsExactly(gen1, gen1, gen1, gen2, gen2);
	}

	/**
	 * POST an upgrade to the serving generation; returns the new pid, checked against
	 * MAINPID=.
	 */
	private long upgrade(int management, int generation, long main) {
		Http.Response response = await().atMost(STARTUP.multipliedBy(2))
			.pollInterval(Duration.ofMillis(100))
			.until(() -> Http.post(management, "/actuator/upgrade", Http.JSON, STARTUP),
					(r) -> r.status() != 409 || !r.text().contains("has not exited"));
		assertThat(response.status()).as(response.text()).isEqualTo(200);
		assertThat(response.text()).contains("\"generation\":" + generation);
		long pid = SystemdNotifyIT.jsonLong(response.text(), "pid");
		assertThat(this.notifySocket.next(QUICK).text()).startsWith("RELOADING=1\n");
		NotifySocket.Message handover = this.notifySocket.next(QUICK);
		assertThat(handover.pid()).as("sender of %s", handover).isEqualTo(main);
		assertThat(handover.value("MAINPID")).isEqualTo(Long.toString(pid));
		return pid;
	}

	private static long inode(String fdTarget) {
		assertThat(fdTarget).as("fd target").isNotNull();
		Matcher matcher = SOCKET.matcher(fdTarget);
		assertThat(matcher.matches()).as("'%s' is a socket", fdTarget).isTrue();
		return Long.parseLong(matcher.group(1));
	}

}
