package io.zerodowntime.sample.it;

import java.lang.management.ManagementFactory;
import java.lang.management.RuntimeMXBean;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

/**
 * What production command lines and hosts carry, under a client load that must see no
 * failed request: a JMX agent on a fixed port (it moves to each new generation, on the
 * same port, once the old one has exited), a debug agent on a fixed port (refused before
 * anything is spawned), {@code zerodowntime.command} with a comma inside an argument (the
 * indexed form), a predecessor whose shutdown hook hangs (it is halted at its deadline,
 * or killed by its successor when it cannot even do that), and a JVM that is PID 1 of its
 * PID namespace, as a container's entrypoint, or the child of a PID 1 that exits with it
 * (it serves, and every upgrade is refused with what works instead).
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ProductionCommandLinesIT {

	private static final int CLIENTS = 3;

	@TempDir
	Path dir;

	private AppUnderTest app;

	@BeforeEach
	void prepare() {
		this.app = new AppUnderTest(this.dir);
	}

	@AfterEach
	void stopEverything() {
		this.app.close();
	}

	@Test
	void aJmxPortOnTheCommandLineIsServedByEachNewGenerationOnceItsPredecessorHasExited() throws Exception {
		int jmx = Http.freePort();
		this.app.start((builder) -> builder.jvmArgs("-Dcom.sun.management.jmxremote.port=" + jmx,
				"-Dcom.sun.management.jmxremote.rmi.port=" + jmx, "-Dcom.sun.management.jmxremote.host=127.0.0.1",
				"-Djava.rmi.server.hostname=127.0.0.1", "-Dcom.sun.management.jmxremote.authenticate=false",
				"-Dcom.sun.management.jmxremote.ssl=false"));
		long gen1 = this.app.awaitServing(1);
		AppUnderTest.Snapshot fresh = this.app.baseline(gen1);
		awaitJmxServedBy(jmx, gen1);
		ClientLoop load = ClientLoop.start(this.app.port(), CLIENTS);
		long serving = gen1;
		try {
			load.awaitMoreOk(20, Duration.ofSeconds(30));
			for (int generation = 2; generation <= 3; generation++) {
				step("upgrade to generation " + generation + " with the JMX agent on port " + jmx);
				Http.Response post = this.app.postUpgradeOncePredecessorIsGone();
				System.out.println("[cmdline] POST /actuator/upgrade: " + post.status() + " " + post.text());
				assertThat(post.status()).as("POST /actuator/upgrade: %s", post).isEqualTo(200);
				long previous = serving;
				serving = this.app.awaitServing(generation);
				awaitJmxServedBy(jmx, serving);
				this.app.awaitLog(
						"\\(pid " + serving + "\\): started the JMX agent on port " + jmx
								+ " .*deferred until the previous generation, pid " + previous + ", had exited",
						Duration.ofSeconds(5));
				load.awaitMoreOk(20, Duration.ofSeconds(30));
			}
		}
		finally {
			load.close();
		}
		System.out.println("[cmdline] load: " + load.summary());
		assertThat(load.failures()).as("failed client requests (%s)", load.summary()).isEmpty();
		assertThat(this.app.assertOneGenerationServing(3)).isEqualTo(serving);
		assertThat(jmxPid(jmx)).as("pid behind JMX port %d", jmx).isEqualTo(serving);
		this.app.assertNoOrphans(serving);
		this.app.assertNoZombies();
		// the JVM's attach listener, which started the agent, stays open (as after any
		// jcmd)
		AppUnderTest.Snapshot now = AppUnderTest.Snapshot.of(serving);
		String detail = "fresh " + fresh + ", now " + now + " holding " + new TreeMap<>(Procfs.fds(serving));
		assertThat(now.listeners()).as("listening TCP sockets; %s", detail).isEqualTo(fresh.listeners());
		assertThat(now.fds()).as("open fds; %s", detail).isLessThanOrEqualTo(fresh.fds() + AppUnderTest.FD_MARGIN + 1);
	}

	@Test
	void aDebugAgentOnAFixedPortIsRefusedBeforeAnythingIsSpawned() {
		int debug = Http.freePort();
		String option = "-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=127.0.0.1:" + debug;
		this.app.start((builder) -> builder.jvmArgs(option));
		long gen1 = this.app.awaitServing(1);
		AppUnderTest.Snapshot fresh = this.app.baseline(gen1);
		String reason = "Unable to start the next generation: the next generation's command line has the debug agent "
				+ "option " + option + ", which listens on port " + debug;
		this.app.awaitLog("WARN .*Unable to prepare the upgrade path: " + Pattern.quote(reason), Duration.ofSeconds(5));
		ClientLoop load = ClientLoop.start(this.app.port(), CLIENTS);
		try {
			load.awaitMoreOk(20, Duration.ofSeconds(30));
			Http.Response post = this.app.postUpgrade();
			System.out.println("[cmdline] POST /actuator/upgrade: " + post.status() + " " + post.text());
			assertThat(post.status()).as("POST /actuator/upgrade: %s", post).isEqualTo(500);
			JsonNode body = AppUnderTest.json(post);
			assertThat(body.get("reason").asString()).startsWith(reason)
				.contains("Remove the option to upgrade")
				.contains("address=0");
			JsonNode last = this.app.status().get("lastUpgrade");
			assertThat(last.get("outcome").asString()).isEqualTo("FAILED");
			assertThat(last.get("reason").asString()).isEqualTo(body.get("reason").asString());
			assertThat(last.get("childPid").isNull()).as("childPid: nothing was spawned").isTrue();
			this.app.awaitLog("Generation 1 \\(pid " + gen1 + "\\): upgrade failed after \\d+ ms: "
					+ Pattern.quote(reason) + ".*; this generation keeps serving", Duration.ofSeconds(5));
			assertThat(this.app.javaPidsSeen()).as("java processes ever started").containsExactly(gen1);
			load.awaitMoreOk(20, Duration.ofSeconds(30));
		}
		finally {
			load.close();
		}
		this.app.assertEndState(load, 1, fresh);
	}

	@Test
	void aCommandWithACommaInsideAnArgumentIsGivenInTheIndexedForm() {
		List<String> command = new ArrayList<>(List.of(AppUnderTest.java().toString()));
		command.addAll(AppUnderTest.JVM_OPTIONS);
		command.addAll(List.of("-Dspring.profiles.active=prod,eu", "-jar", this.app.jar().toString()));
		command.addAll(this.app.defaultArgs());
		List<String> indexed = new ArrayList<>();
		for (int i = 0; i < command.size(); i++) {
			indexed.add("--zerodowntime.command[" + i + "]=" + command.get(i));
		}
		this.app.start(indexed.toArray(String[]::new));
		long gen1 = this.app.awaitServing(1);
		AppUnderTest.Snapshot fresh = this.app.baseline(gen1);
		ClientLoop load = ClientLoop.start(this.app.port(), CLIENTS);
		try {
			load.awaitMoreOk(20, Duration.ofSeconds(30));
			Http.Response post = this.app.postUpgrade();
			System.out.println("[cmdline] POST /actuator/upgrade: " + post.status() + " " + post.text());
			assertThat(post.status()).as("POST /actuator/upgrade: %s", post).isEqualTo(200);
			long gen2 = this.app.awaitServing(2);
			this.app.awaitLog(" " + gen2 + " --- .*The following 2 profiles are active: \"prod\", \"eu\"",
					Duration.ofSeconds(5));
			assertThat(Procfs.of(gen2).map(Procfs.Proc::argv).orElse(List.of())).as("generation 2's command line")
				.contains("-Dspring.profiles.active=prod,eu");
			assertThat(this.app.awaitExit(Duration.ofSeconds(60))).as("exit code of generation 1").isZero();
			load.awaitMoreOk(20, Duration.ofSeconds(30));
		}
		finally {
			load.close();
		}
		this.app.assertEndState(load, 2, fresh);
	}

	/**
	 * Generations 2 and 3 get a shutdown hook that never returns. Generation 2 halts
	 * itself at its drain timeout plus exit grace (10 s + 2 s), while its successor
	 * refuses to upgrade, saying what it waits for and until when. Generation 3 is also
	 * stopped with SIGSTOP once it hangs, so it cannot halt itself: its successor kills
	 * it by pid.
	 */
	@Test
	void aPredecessorWhoseShutdownHookHangsIsEndedAtItsDeadlineAndTheNextUpgradeSucceeds() {
		// every generation drains for 3 s, plus 2 s of exit grace: the hang's deadline
		this.app.start("--zerodowntime.drain-timeout=3s");
		long gen1 = this.app.awaitServing(1);
		AppUnderTest.Snapshot fresh = this.app.baseline(gen1);
		ClientLoop load = ClientLoop.start(this.app.port(), CLIENTS);
		try {
			load.awaitMoreOk(20, Duration.ofSeconds(30));
			this.app.configureNextGeneration("sample.hang-on-stop=true", "zerodowntime.exit-grace=2s");
			long gen2 = upgradeTo(2);
			long gen3 = upgradeTo(3);

			step("generation 2 hangs in its shutdown hook; generation 3 refuses to upgrade until it is gone");
			Http.Response refused = this.app.postUpgrade();
			System.out.println("[cmdline] POST /actuator/upgrade: " + refused.status() + " " + refused.text());
			assertThat(refused.status()).as("POST /actuator/upgrade: %s", refused).isEqualTo(409);
			String reason = AppUnderTest.json(refused).get("reason").asString();
			assertThat(reason).startsWith("the previous generation (pid " + gen2 + ") has not exited yet")
				.containsPattern("it is killed if it has not exited by \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
			assertThat(this.app.status().get("lastUpgrade").get("reason").asString()).isEqualTo(reason);
			this.app.awaitLog("Generation 2 \\(pid " + gen2 + "\\) has not exited within its drain timeout plus exit "
					+ "grace \\(5000 ms", Duration.ofSeconds(60));
			await("generation 2 (pid " + gen2 + ") to be gone").atMost(Duration.ofSeconds(30))
				.until(() -> !Procfs.running(gen2));
			assertThat(this.app.findLog("Previous generation \\(pid " + gen2 + "\\) had not exited by its deadline"))
				.as("generation 2 halted itself; its successor had nothing to kill")
				.isEmpty();

			step("generation 3 hangs too, and is stopped (SIGSTOP): its successor kills it");
			this.app.configureNextGeneration("zerodowntime.exit-grace=2s");
			long gen4 = upgradeTo(4);
			await("generation 3's shutdown hook to hang").atMost(Duration.ofSeconds(60))
				.until(() -> this.app.count("sample.hang-on-stop=true: this shutdown hook never returns") >= 2);
			Procfs.signal(gen3, "STOP");
			this.app.awaitLog("Previous generation \\(pid " + gen3 + "\\) had not exited by its deadline .*killed it "
					+ "with SIGKILL", Duration.ofSeconds(60));
			await("generation 3 (pid " + gen3 + ") to be gone").atMost(Duration.ofSeconds(30))
				.until(() -> !Procfs.running(gen3));
			assertThat(this.app.findLog("Generation 3 \\(pid " + gen3 + "\\) has not exited within")).isEmpty();
			load.awaitMoreOk(20, Duration.ofSeconds(30));
			assertThat(this.app.status().get("pid").asLong()).isEqualTo(gen4);
		}
		finally {
			load.close();
		}
		this.app.assertEndState(load, 4, fresh);
	}

	@Test
	void aJvmThatIsPidOneServesAndRefusesEveryUpgradeWithWhatWorksInstead() {
		assumeThat(unshareWorks()).as("unshare --pid --fork --mount-proc works here (needs root)").isTrue();
		this.app.start((builder) -> builder.launcher("unshare", "--pid", "--fork", "--mount-proc"));
		assertThat(this.app.awaitServing(1)).as("X-Pid: the JVM is PID 1 of its namespace").isEqualTo(1);
		servesAndRefusesEveryUpgrade("Generation 1 \\(pid 1\\) serves normally, but cannot be upgraded: ",
				"this JVM is PID 1 of its PID namespace");
	}

	/**
	 * A shell that runs java without {@code exec} as PID 1 exits with generation 1, and
	 * the kernel then kills the namespace, a new generation included (so would tini).
	 */
	@Test
	void aJvmWhoseParentIsAShellThatIsPidOneRefusesEveryUpgradeWithWhatWorksInstead() {
		assumeThat(unshareWorks()).as("unshare --pid --fork --mount-proc works here (needs root)").isTrue();
		this.app.start((builder) -> builder.launcher("unshare", "--pid", "--fork", "--mount-proc", "/bin/sh", "-c",
				"\"$@\"; exit $?", "sh"));
		long pid = this.app.awaitServing(1);
		servesAndRefusesEveryUpgrade("Generation 1 \\(pid " + pid + "\\) serves normally, but cannot be upgraded: ",
				"this JVM's parent is PID 1 of its PID namespace, sh, which exits when this JVM exits");
	}

	private void servesAndRefusesEveryUpgrade(String warningPrefix, String problem) {
		long hostPid = await("the JVM's pid outside its namespace").atMost(Duration.ofSeconds(30))
			.until(() -> Procfs.javaPids(this.app.jar()), (pids) -> pids.size() == 1)
			.get(0);
		String warning = warningPrefix + Pattern.quote(problem);
		this.app.awaitLog("WARN .*" + warning, Duration.ofSeconds(5));
		assertThat(this.app.count(warning)).as("warnings").isOne();
		String unavailable = this.app.status().get("upgradesUnavailable").asString();
		assertThat(unavailable).startsWith(problem)
			.contains("replacing the container")
			.contains("docker run --init, tini or dumb-init does not help");
		ClientLoop load = ClientLoop.start(this.app.port(), CLIENTS);
		try {
			load.awaitMoreOk(20, Duration.ofSeconds(30));
			Http.Response post = this.app.postUpgrade();
			System.out.println("[cmdline] POST /actuator/upgrade: " + post.status() + " " + post.text());
			assertThat(post.status()).as("POST /actuator/upgrade: %s", post).isEqualTo(409);
			assertThat(AppUnderTest.json(post).get("reason").asString())
				.isEqualTo("upgrades are not possible: " + unavailable);
			assertThat(this.app.status().get("lastUpgrade").get("outcome").asString()).isEqualTo("REFUSED");
			Procfs.signal(hostPid, "HUP");
			await("the SIGHUP upgrade to be refused").atMost(Duration.ofSeconds(30))
				.until(() -> this.app.count("refused an upgrade \\(trigger: .*\\): upgrades are not possible: "
						+ Pattern.quote(problem)) >= 2);
			load.awaitMoreOk(20, Duration.ofSeconds(30));
			assertThat(this.app.javaPidsSeen()).as("java processes ever started").containsExactly(hostPid);
		}
		finally {
			load.close();
		}
		System.out.println("[cmdline] load: " + load.summary());
		assertThat(load.failures()).as("failed client requests (%s)", load.summary()).isEmpty();
		assertThat(load.ok()).isPositive();
	}

	private long upgradeTo(int generation) {
		step("upgrade to generation " + generation);
		Http.Response post = this.app.postUpgradeOncePredecessorIsGone();
		System.out.println("[cmdline] POST /actuator/upgrade: " + post.status() + " " + post.text());
		assertThat(post.status()).as("POST /actuator/upgrade: %s", post).isEqualTo(200);
		return this.app.awaitServing(generation);
	}

	private static boolean unshareWorks() {
		try {
			AppUnderTest.run("unshare", "--pid", "--fork", "--mount-proc", "true");
			return true;
		}
		catch (RuntimeException ex) {
			System.out.println("[cmdline] unshare does not work here: " + ex.getMessage());
			return false;
		}
	}

	private void awaitJmxServedBy(int port, long pid) {
		try {
			await("JMX on port " + port + " to be served by pid " + pid).atMost(Duration.ofSeconds(60))
				.pollInterval(Duration.ofMillis(500))
				.ignoreExceptions()
				.until(() -> jmxPid(port), (served) -> served == pid);
		}
		catch (ConditionTimeoutException ex) {
			throw new AssertionError(
					"JMX on port " + port + " never served by pid " + pid + "; output:\n" + this.app.output(), ex);
		}
	}

	/** The pid of the JVM whose JMX agent answers on a port. */
	private static long jmxPid(int port) throws java.io.IOException {
		JMXServiceURL url = new JMXServiceURL("service:jmx:rmi:///jndi/rmi://127.0.0.1:" + port + "/jmxrmi");
		try (JMXConnector connector = JMXConnectorFactory.connect(url)) {
			return ManagementFactory
				.newPlatformMXBeanProxy(connector.getMBeanServerConnection(), ManagementFactory.RUNTIME_MXBEAN_NAME,
						RuntimeMXBean.class)
				.getPid();
		}
	}

	private static void step(String what) {
		System.out.println("[cmdline] ---- " + what + " ----");
	}

}
