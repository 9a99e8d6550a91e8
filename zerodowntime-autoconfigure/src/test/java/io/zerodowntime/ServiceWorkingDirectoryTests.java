package io.zerodowntime;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link ServiceWorkingDirectory}: a JVM that systemd started in
 * {@code WorkingDirectory=/opt/app/current} (a link to {@code releases/r1}) with a
 * relative {@code -jar app.jar}, so it has no {@code PWD} and {@code user.dir} is the
 * resolved {@code r1}; a fake {@code systemctl} answers.
 */
class ServiceWorkingDirectoryTests {

	private static final String R1 = "/opt/app/releases/r1";

	private static final List<String> RELATIVE_JAR = List.of("/usr/bin/java", "-jar", "app.jar");

	private static final String CGROUP_V2 = "0::/system.slice/app.service\n";

	private final WorkingDirectoryTests.FakeFiles files = new WorkingDirectoryTests.FakeFiles();

	private final Map<String, String> environment = new HashMap<>(
			Map.of("INVOCATION_ID", "8d1c0b6e4d5f4a0c", "HOME", "/opt/app", "PATH", "/usr/bin:/bin"));

	private final FakeSystemctl systemctl = new FakeSystemctl();

	private final List<String> warnings = new ArrayList<>();

	ServiceWorkingDirectoryTests() {
		this.files.link("/opt/app/current", R1);
		this.systemctl.answer(0, "LoadState=loaded\nWorkingDirectory=/opt/app/current\n");
	}

	@Test
	void whenSystemdStartedTheJvmInALinkedDirectoryThenTheNextGenerationStartsFromTheUnitsWorkingDirectory() {
		WorkingDirectory directory = choose(CGROUP_V2, 1);
		assertThat(directory.path()).isEqualTo("/opt/app/current");
		assertThat(directory.physical()).isEqualTo(R1);
		assertThat(directory.source()).isEqualTo("WorkingDirectory= of app.service");
		assertThat(this.systemctl.commands).singleElement()
			.satisfies((command) -> assertThat(command.subList(1, command.size())).containsExactly("show",
					"--property=LoadState", "--property=WorkingDirectory", "--", "app.service"));
		assertThat(this.systemctl.timeouts).containsExactly(ServiceWorkingDirectory.TIMEOUT);
		assertThat(this.warnings).isEmpty();
	}

	@Test
	void theUnitIsTheLastServiceOfTheCgroupPathAlsoInADelegatedSubgroupOrTheV1Hierarchy() {
		choose("0::/system.slice/app.service/payload\n", 1);
		choose("12:memory:/system.slice/other.service\n1:name=systemd:/system.slice/app@blue.service\n"
				+ "0::/system.slice/app@blue.service\n", 1);
		choose("11:pids:/system.slice/other.service\n1:name=systemd:/system.slice/legacy.service\n", 1);
		assertThat(this.systemctl.commands).extracting((command) -> command.get(command.size() - 1))
			.containsExactly("app.service", "app@blue.service", "legacy.service");
		assertThat(this.warnings).isEmpty();
	}

	@Test
	void aUnitOfAUsersServiceManagerIsAskedWithUser() {
		WorkingDirectory directory = choose("0::/user.slice/user-1000.slice/user@1000.service/app.slice/app.service\n",
				1);
		assertThat(this.systemctl.commands).singleElement()
			.satisfies((command) -> assertThat(command).contains("--user").endsWith("app.service"));
		assertThat(directory.path()).isEqualTo("/opt/app/current");
	}

	@Test
	void whenTheUnitsWorkingDirectoryIsAnotherDirectoryThenUserDirStaysAndNothingIsSaid() {
		this.files.directory("/srv/other");
		this.systemctl.answer(0, "LoadState=loaded\nWorkingDirectory=/srv/other\n");
		assertThat(choose(CGROUP_V2, 1).path()).isEqualTo(R1);
		this.systemctl.answer(0, "LoadState=loaded\nWorkingDirectory=\n");
		assertThat(choose(CGROUP_V2, 1).source()).isEqualTo("user.dir");
		assertThat(this.warnings).isEmpty();
	}

	@Test
	void aWorkingDirectoryThatMayBeMissingOrTheHomeDirectoryCounts() {
		this.systemctl.answer(0, "WorkingDirectory=!/opt/app/current/\nLoadState=loaded\n");
		assertThat(choose(CGROUP_V2, 1).path()).isEqualTo("/opt/app/current");
		this.files.link("/opt/app", R1);
		this.systemctl.answer(0, "LoadState=loaded\nWorkingDirectory=~\n");
		assertThat(choose(CGROUP_V2, 1).path()).isEqualTo("/opt/app");
		assertThat(this.warnings).isEmpty();
	}

	@Test
	void whenALogicalDirectoryIsKnownOrThisIsNotGenerationOneOrNotAServiceThenTheServiceManagerIsNotAsked() {
		this.files.link("/srv/live", R1);
		WorkingDirectory fromPwd = WorkingDirectory.choose(R1, "/srv/live", RELATIVE_JAR, this.files);
		assertThat(lookup(CGROUP_V2).choose(fromPwd, 1, this.files, this.warnings::add)).isSameAs(fromPwd);
		assertThat(choose(CGROUP_V2, 2).path()).isEqualTo(R1);
		this.environment.remove("INVOCATION_ID");
		assertThat(choose(CGROUP_V2, 1).path()).isEqualTo(R1);
		assertThat(this.systemctl.commands).isEmpty();
		assertThat(this.warnings).isEmpty();
	}

	@Test
	void whenTheServiceManagerCannotBeReachedThenOneWarningSaysWhyAndNamesTheFix() {
		this.systemctl.answer(1, "Failed to connect to bus: No such file or directory\n");
		WorkingDirectory directory = choose(CGROUP_V2, 1);
		assertThat(directory.path()).isEqualTo(R1);
		assertThat(directory.source()).isEqualTo("user.dir");
		assertThat(this.warnings).singleElement()
			.asString()
			.contains("runs as a systemd service (app.service), and its unit's WorkingDirectory= could not be learnt "
					+ "from the service manager")
			.contains("exited with 1: Failed to connect to bus: No such file or directory")
			.contains("systemd sets no PWD, so the next generation will start in " + R1 + " itself")
			.contains("Environment=PWD=/opt/app/current")
			.contains("ExecStart=/usr/bin/java -jar /opt/app/current/app.jar");
	}

	@Test
	void whenSystemctlHangsOrIsMissingThenTheWarningSaysSo() {
		this.systemctl.answer(null);
		choose(CGROUP_V2, 1);
		this.systemctl.fail(new IOException("Cannot run program \"systemctl\": error=2, No such file or directory"));
		choose(CGROUP_V2, 1);
		assertThat(this.warnings).hasSize(2);
		assertThat(this.warnings.get(0)).contains("did not answer within 5 s");
		assertThat(this.warnings.get(1)).contains("unable to run ")
			.contains("No such file or directory")
			.contains("Environment=PWD=");
	}

	@Test
	void whenTheServiceManagerDoesNotKnowTheUnitThenTheWarningSaysSo() {
		this.systemctl.answer(0, "LoadState=not-found\nWorkingDirectory=\n");
		assertThat(choose(CGROUP_V2, 1).path()).isEqualTo(R1);
		assertThat(this.warnings).singleElement().asString().contains("does not know the unit (LoadState=not-found)");
	}

	@Test
	void whenTheCgroupNamesNoServiceThenInvocationIdWasInheritedAndNothingIsAskedOrSaid() {
		assertThat(choose("0::/user.slice/user-1000.slice/session-3.scope\n", 1).path()).isEqualTo(R1);
		assertThat(choose("0::/\n", 1).path()).isEqualTo(R1);
		assertThat(this.systemctl.commands).isEmpty();
		assertThat(this.warnings).isEmpty();
	}

	@Test
	void whenTheCgroupCannotBeReadThenTheWarningSaysSo() {
		assertThat(choose(null, 1).path()).isEqualTo(R1);
		assertThat(this.systemctl.commands).isEmpty();
		assertThat(this.warnings).singleElement()
			.asString()
			.contains(
					"could not be learnt from the service manager: /proc/self/cgroup, which names the unit, cannot be read")
			.contains("Environment=PWD=");
	}

	@Test
	void theRealRunnerReturnsTheOutputAndExitStatusAndKillsACommandThatHangs() throws IOException {
		ServiceWorkingDirectory.Answer answer = ServiceWorkingDirectory.Runner.PROCESS.run(
				List.of("/bin/sh", "-c", "echo WorkingDirectory=/opt/app/current; echo oops >&2; exit 3"),
				Duration.ofSeconds(30));
		assertThat(answer)
			.isEqualTo(new ServiceWorkingDirectory.Answer(3, "WorkingDirectory=/opt/app/current\noops\n"));
		assertThat(ServiceWorkingDirectory.Runner.PROCESS.run(List.of("/bin/sleep", "60"), Duration.ofMillis(200)))
			.isNull();
	}

	@Test
	void systemctlGetsNeitherTheNotificationSocketNorTheListenersOrTheHandover() {
		Map<String, String> environment = new HashMap<>(
				Map.of("NOTIFY_SOCKET", "/run/systemd/notify", "LISTEN_FDS", "2", "LISTEN_PID", "77", "LISTEN_FDNAMES",
						"http:management", "PATH", "/usr/bin:/bin", "LANG", "C.UTF-8"));
		environment.put(Handshake.GENERATION, "2");
		ServiceWorkingDirectory.Runner.scrub(environment);
		assertThat(environment).containsOnlyKeys("PATH", "LANG");
	}

	private WorkingDirectory choose(String cgroup, int generation) {
		WorkingDirectory userDir = WorkingDirectory.choose(R1, null, RELATIVE_JAR, this.files);
		return lookup(cgroup).choose(userDir, generation, this.files, this.warnings::add);
	}

	private ServiceWorkingDirectory lookup(String cgroup) {
		return new ServiceWorkingDirectory(cgroup, this.environment, this.systemctl);
	}

	/** Answers every command the same way, and records them. */
	static final class FakeSystemctl implements ServiceWorkingDirectory.Runner {

		final List<List<String>> commands = new ArrayList<>();

		final List<Duration> timeouts = new ArrayList<>();

		private ServiceWorkingDirectory.Answer answer;

		private IOException failure;

		void answer(int exitStatus, String output) {
			answer(new ServiceWorkingDirectory.Answer(exitStatus, output));
		}

		void answer(ServiceWorkingDirectory.Answer answer) {
			this.answer = answer;
			this.failure = null;
		}

		void fail(IOException failure) {
			this.failure = failure;
		}

		@Override
		public ServiceWorkingDirectory.Answer run(List<String> command, Duration timeout) throws IOException {
			this.commands.add(command);
			this.timeouts.add(timeout);
			if (this.failure != null) {
				throw this.failure;
			}
			return this.answer;
		}

	}

}
