package io.zerodowntime.sample.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Release layouts as operators deploy them: {@code releases/r1}, {@code releases/r2},
 * each with its jar and its {@code application.properties} ({@code sample.release=rN},
 * which the sample answers in {@code X-Release}), and {@code current}, a symbolic link
 * switched from one to the next. Each upgrade must run the release {@code current} points
 * to, under a client load that loses no request; a working directory that is gone refuses
 * the upgrade with the fix until it is back; and the next generation gets the command
 * line and the environment byte for byte, also under {@code LANG=C}, as the kernel shows
 * them in {@code /proc/<pid>/cmdline} and {@code /proc/<pid>/environ}.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ReleaseLayoutIT {

	private static final int CLIENTS = 3;

	private static final Set<String> HANDOVER_VARIABLES = Set.of("LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
			"ZERODOWNTIME_HANDSHAKE_FD", "ZERODOWNTIME_GENERATION", "ZERODOWNTIME_PARENT_PID",
			"ZERODOWNTIME_ORIGINAL_START");

	/**
	 * {@code --sample.note=héllo} in UTF-8, which ASCII ({@code LANG=C}) cannot decode.
	 */
	private static final byte[] NOTE = "--sample.note=h\u00e9llo".getBytes(StandardCharsets.UTF_8);

	/** {@code ab\xE9cd}: not valid UTF-8. */
	private static final byte[] NOT_UTF8 = { 'R', 'E', 'L', 'E', 'A', 'S', 'E', '_', 'B', 'Y', 'T', 'E', 'S', '=', 'a',
			'b', (byte) 0xE9, 'c', 'd' };

	@TempDir
	Path temp;

	private Path root;

	private Path current;

	private AppUnderTest app;

	@BeforeEach
	void layOutTwoReleases() throws IOException {
		this.root = this.temp.toRealPath().resolve("app");
		// the generations run releases/rN/app.jar, and name the PID file
		this.app = new AppUnderTest(this.root, this.root.resolve("app.pid"));
		release("r1");
		release("r2");
		this.current = this.root.resolve("current");
		pointCurrentAt("r1");
	}

	@AfterEach
	void stopEverything() {
		this.app.close();
	}

	/**
	 * Started the way a systemd unit with {@code WorkingDirectory=/opt/app/current} and
	 * {@code Environment=PWD=/opt/app/current} starts {@code java -jar app.jar} (the
	 * JVM's {@code user.dir} is the resolved {@code releases/r1}), under {@code LANG=C},
	 * with a non-ASCII argument and a variable that is not UTF-8. {@code current} is
	 * switched to r2 and r1 deleted (the old release cleaned up) before the upgrade:
	 * generation 2 runs r2 in {@code current}, with the same arguments and environment,
	 * byte for byte.
	 */
	@Test
	void systemdStyleStartInTheCurrentLinkUpgradesToTheReleaseItPointsToWithEveryByteKept() throws IOException {
		this.app.start((builder) -> builder.jar(Path.of("app.jar"))
			.directory(this.current)
			.env("PWD", this.current.toString())
			.env("LANG", "C")
			.unsetEnv("LC_ALL")
			.unsetEnv("LC_CTYPE")
			.launcher("/bin/sh", "-c", "RELEASE_BYTES=\"$(printf 'ab\\351cd')\"; export RELEASE_BYTES; "
					+ "exec \"$@\" \"$(printf '%s\\303\\251llo' --sample.note=h)\"", "sh"));
		long gen1 = this.app.awaitServing(1);
		assertRelease(1, "r1");
		AppUnderTest.Snapshot fresh = this.app.baseline(gen1);
		List<byte[]> cmdline1 = Procfs.entries(gen1, "cmdline");
		List<byte[]> environ1 = nonEmpty(Procfs.entries(gen1, "environ"));
		assertThat(cmdline1).as("generation 1's arguments").anySatisfy((arg) -> assertThat(arg).isEqualTo(NOTE));
		assertThat(environ1).as("generation 1's environment").anySatisfy((e) -> assertThat(e).isEqualTo(NOT_UTF8));
		ClientLoop load = ClientLoop.start(this.app.port(), CLIENTS);
		long gen2;
		try {
			load.awaitMoreOk(20, Duration.ofSeconds(30));
			pointCurrentAt("r2");
			deleteRelease("r1");
			gen2 = upgrade(load, 2);
			assertRelease(2, "r2");
			this.app
				.awaitLog(
						Pattern.quote("Generation 1 (pid " + gen1 + ") is starting generation 2 in " + this.current
								+ " (now " + this.root.resolve("releases/r2") + ") from " + this.current
								+ "/app.jar (now " + this.root.resolve("releases/r2/app.jar") + ")"),
						Duration.ofSeconds(5));
			load.awaitMoreOk(20, Duration.ofSeconds(30));
		}
		finally {
			load.close();
		}
		this.app.assertEndState(load, 2, fresh);
		List<byte[]> cmdline2 = Procfs.entries(gen2, "cmdline");
		assertThat(cmdline2).as("generation 2's arguments").anySatisfy((arg) -> assertThat(arg).isEqualTo(NOTE));
		assertThat(text(withoutAddedOptions(cmdline2)))
			.as("generation 2's command line, but for the JVM options " + "the starter adds")
			.isEqualTo(text(cmdline1));
		List<byte[]> environ2 = nonEmpty(Procfs.entries(gen2, "environ"));
		assertThat(environ2).as("generation 2's environment").anySatisfy((e) -> assertThat(e).isEqualTo(NOT_UTF8));
		assertThat(sortedWithoutHandover(environ2)).as("generation 2's environment, as a set")
			.isEqualTo(sortedWithoutHandover(environ1));
		assertThat(Files.readSymbolicLink(Path.of("/proc/" + gen2 + "/cwd")))
			.isEqualTo(this.root.resolve("releases/r2"));
	}

	/**
	 * {@code java -jar /opt/app/current/app.jar} from another directory: generation 2
	 * holds r2's jar open. Then that directory is deleted: the upgrade is refused, naming
	 * it and the fix, generation 2 serves on; once it is created again, the upgrade
	 * works.
	 */
	@Test
	void absoluteJarThroughTheLinkFromAnotherDirectoryAndThatDirectoryDeletedThenCreatedAgain() throws IOException {
		Path work = Files.createDirectories(this.root.resolve("work"));
		this.app.start((builder) -> builder.jar(this.current.resolve("app.jar")).directory(work),
				"--spring.config.import=optional:file:" + this.current + "/application.properties");
		long gen1 = this.app.awaitServing(1);
		assertRelease(1, "r1");
		AppUnderTest.Snapshot fresh = this.app.baseline(gen1);
		ClientLoop load = ClientLoop.start(this.app.port(), CLIENTS);
		try {
			load.awaitMoreOk(20, Duration.ofSeconds(30));
			pointCurrentAt("r2");
			long gen2 = upgrade(load, 2);
			assertRelease(2, "r2");
			assertThat(Procfs.fds(gen2).values()).as("files generation 2 holds open")
				.contains(this.root.resolve("releases/r2/app.jar").toString())
				.noneMatch((target) -> target.contains("releases/r1"));

			Files.delete(work);
			Http.Response refused = this.app.postUpgradeOncePredecessorIsGone();
			System.out.println("[release] POST /actuator/upgrade: " + refused.status() + " " + refused.text());
			assertThat(refused.status()).as("POST /actuator/upgrade: %s", refused).isEqualTo(409);
			String reason = AppUnderTest.json(refused).get("reason").asString();
			assertThat(reason).contains("the working directory of the next generation, " + work + ", no longer exists")
				.contains("create it again (mkdir -p " + work);
			JsonNode status = this.app.status();
			assertThat(status.get("generation").asInt()).isEqualTo(2);
			assertThat(status.get("state").asString()).isEqualTo("SERVING");
			assertThat(status.get("lastUpgrade").get("outcome").asString()).isEqualTo("REFUSED");
			assertThat(status.get("lastUpgrade").get("reason").asString()).isEqualTo(reason);
			load.awaitMoreOk(20, Duration.ofSeconds(30));
			assertThat(this.app.assertOneGenerationServing(2)).isEqualTo(gen2);

			Files.createDirectories(work);
			upgrade(load, 3);
			assertRelease(3, "r2");
		}
		finally {
			load.close();
		}
		this.app.assertEndState(load, 3, fresh);
	}

	/**
	 * {@code zerodowntime.command} with a relative jar ({@code java -jar app.jar ...}),
	 * started in {@code current}: generation 2 starts in {@code current} too, so it runs
	 * r2.
	 */
	@Test
	void configuredCommandWithARelativeJarStartsInTheCurrentLink() throws IOException {
		List<String> command = new ArrayList<>(List.of(AppUnderTest.java().toString()));
		command.addAll(AppUnderTest.JVM_OPTIONS);
		command.addAll(List.of("-jar", "app.jar"));
		command.addAll(this.app.defaultArgs());
		this.app.start((
				builder) -> builder.jar(Path.of("app.jar")).directory(this.current).env("PWD", this.current.toString()),
				"--zerodowntime.command=" + String.join(",", command));
		long gen1 = this.app.awaitServing(1);
		assertRelease(1, "r1");
		AppUnderTest.Snapshot fresh = this.app.baseline(gen1);
		ClientLoop load = ClientLoop.start(this.app.port(), CLIENTS);
		try {
			load.awaitMoreOk(20, Duration.ofSeconds(30));
			pointCurrentAt("r2");
			upgrade(load, 2);
			assertRelease(2, "r2");
		}
		finally {
			load.close();
		}
		this.app.assertEndState(load, 2, fresh);
	}

	/**
	 * POST an upgrade that must succeed; wait for the new generation and the old one's
	 * exit.
	 */
	private long upgrade(ClientLoop load, int generation) {
		Http.Response post = this.app.postUpgradeOncePredecessorIsGone();
		System.out.println("[release] POST /actuator/upgrade: " + post.status() + " " + post.text());
		assertThat(post.status()).as("POST /actuator/upgrade: %s", post).isEqualTo(200);
		long pid = this.app.awaitServing(generation);
		assertThat(AppUnderTest.json(post).get("pid").asLong()).isEqualTo(pid);
		load.awaitMoreOk(20, Duration.ofSeconds(30));
		return pid;
	}

	private void assertRelease(int generation, String release) {
		Http.Response response = Http.get(this.app.port(), "/", Duration.ofSeconds(20));
		assertThat(response.status()).as("GET /: %s", response).isEqualTo(200);
		assertThat(response.header("X-Generation")).as("X-Generation").isEqualTo(Integer.toString(generation));
		assertThat(response.header("X-Release")).as("X-Release of generation %d", generation).isEqualTo(release);
	}

	private void release(String name) throws IOException {
		Path release = Files.createDirectories(this.root.resolve("releases").resolve(name));
		Files.copy(AppUnderTest.appJar(), release.resolve("app.jar"));
		Files.writeString(release.resolve("application.properties"), "sample.release=" + name + "\n");
	}

	/**
	 * Switch {@code current} atomically, as deploy tools do ({@code ln -s} then
	 * {@code mv -T}).
	 */
	private void pointCurrentAt(String name) throws IOException {
		Path next = Files.createSymbolicLink(this.root.resolve("current.next"), Path.of("releases", name));
		Files.move(next, this.root.resolve("current"), StandardCopyOption.ATOMIC_MOVE,
				StandardCopyOption.REPLACE_EXISTING);
		System.out.println("[release] current -> releases/" + name);
	}

	private void deleteRelease(String name) throws IOException {
		try (Stream<Path> files = Files.walk(this.root.resolve("releases").resolve(name))) {
			for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
				Files.delete(file);
			}
		}
		System.out.println("[release] deleted releases/" + name);
	}

	private static List<byte[]> nonEmpty(List<byte[]> entries) {
		return entries.stream().filter((entry) -> entry.length > 0).toList();
	}

	/** The options the starter adds to every later generation's {@code java} command. */
	private static List<byte[]> withoutAddedOptions(List<byte[]> cmdline) {
		return cmdline.stream()
			.filter((
					arg) -> !Set.of("--enable-native-access=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED")
						.contains(new String(arg, StandardCharsets.ISO_8859_1)))
			.toList();
	}

	private static List<String> sortedWithoutHandover(List<byte[]> environ) {
		return text(environ).stream()
			.filter((entry) -> !HANDOVER_VARIABLES.contains(entry.substring(0, Math.max(0, entry.indexOf('=')))))
			.sorted()
			.toList();
	}

	/**
	 * Byte strings as ISO-8859-1 text: one char per byte, so equal texts are equal bytes.
	 */
	private static List<String> text(List<byte[]> entries) {
		return entries.stream().map((entry) -> new String(entry, StandardCharsets.ISO_8859_1)).toList();
	}

}
