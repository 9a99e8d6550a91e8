package io.zerodowntime.sample.it;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import io.zerodowntime.sample.it.AppUnderTest.Trigger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The main story, told with our own client loop: consecutive upgrades under load,
 * alternately by SIGHUP and by {@code POST /actuator/upgrade}. No request fails, every
 * generation serves, each owns the PID file and names its predecessor, the last one
 * carries the first one's start time and its inherited listener; nothing is left behind
 * (no orphan, no zombie, one java process per generation) and what each serving
 * generation holds (open fds, threads, resident memory) stays flat. The number of
 * upgrades is the system property {@code soak.upgrades} (6 by default, as in CI;
 * {@code sample-app/soak.sh} runs 50). The same story under {@code wrk} and {@code hey}
 * is {@link LoadUpgradeIT}.
 */
class SoakIT {

	private static final int CLIENTS = 3;

	/** How much more than the second generation the last one may hold. */
	private static final double GROWTH = 0.20;

	@TempDir
	Path dir;

	private AppUnderTest app;

	@AfterEach
	void stopEverything() {
		if (this.app != null) {
			this.app.close();
		}
	}

	/**
	 * One row of the table.
	 *
	 * @param generation the generation number
	 * @param pid its pid
	 * @param trigger how it was started
	 * @param upgradeMs from the trigger until it served
	 * @param snapshot what it held once its predecessor was gone
	 */
	record Row(int generation, long pid, String trigger, long upgradeMs, AppUnderTest.Snapshot snapshot) {

	}

	@Test
	void consecutiveUpgradesUnderLoadFailNoRequestAndStayFlat() {
		int upgrades = Integer.getInteger("soak.upgrades", 6);
		assertThat(upgrades).as("soak.upgrades").isGreaterThanOrEqualTo(2);
		Duration deadline = Duration.ofSeconds(60L + upgrades * 45L);
		long testStart = System.nanoTime();
		this.app = new AppUnderTest(this.dir);
		this.app.start();
		long gen1 = this.app.awaitGeneration(1);
		assertThat(gen1).isEqualTo(this.app.processPid());
		JsonNode status1 = this.app.status();
		assertThat(status1.path("generation").asInt()).as(status1.toString()).isEqualTo(1);
		assertThat(status1.path("pid").asLong()).as(status1.toString()).isEqualTo(gen1);
		assertThat(status1.path("parentPid").isNull()).as(status1.toString()).isTrue();
		Instant gen1StartedAt = Instant.parse(status1.path("startedAt").asString());
		AppUnderTest.Snapshot fresh = this.app.baseline(gen1);
		List<Row> rows = new ArrayList<>();
		rows.add(new Row(1, gen1, "start", 0, fresh));
		ClientLoop load = ClientLoop.start(this.app.port(), CLIENTS);
		try {
			awaitServedBy(load, 1);
			load.awaitMoreOk(20, Duration.ofSeconds(30));
			for (int next = 2; next <= upgrades + 1; next++) {
				assertThat(Duration.ofNanos(System.nanoTime() - testStart)).as("time of the soak so far")
					.isLessThan(deadline);
				// HUP, POST, HUP, ...; each POST answers SUCCEEDED with the new
				// generation and pid
				Trigger trigger = (next % 2 == 0) ? Trigger.HUP : Trigger.POST;
				AppUnderTest.Handover handover = this.app.upgrade(trigger);
				JsonNode status = this.app.status();
				assertThat(status.path("generation").asInt()).as(status.toString()).isEqualTo(next);
				assertThat(status.path("pid").asLong()).as(status.toString()).isEqualTo(handover.newPid());
				assertThat(status.path("parentPid").asLong()).as(status.toString()).isEqualTo(handover.oldPid());
				// the new generation learns of the exit through its handshake socket
				this.app.awaitParentExitSeen(handover.oldPid());
				awaitServedBy(load, next);
				load.awaitMoreOk(10, Duration.ofSeconds(30));
				rows.add(new Row(next, handover.newPid(), trigger.name(), handover.serving().toMillis(),
						AppUnderTest.Snapshot.of(handover.newPid())));
				System.out.println("[soak] " + format(rows.get(rows.size() - 1)) + " | load " + load.summary());
			}
		}
		finally {
			load.close();
			printTable(rows, load);
		}
		assertThat(load.failures()).as("failed client requests (%s)", load.summary()).isEmpty();
		assertThat(load.ok()).as("successful client requests").isGreaterThan(10);
		assertThat(load.servedBy().keySet()).as(load.toString())
			.containsExactlyInAnyOrderElementsOf(
					IntStream.rangeClosed(1, upgrades + 1).mapToObj(Integer::toString).toList());
		assertThat(rows.stream().map(Row::pid).toList()).as("pids of the generations").doesNotHaveDuplicates();
		assertThat(this.app.javaPidsSeen()).as("java processes ever started").hasSize(upgrades + 1);
		long last = this.app.assertOneGenerationServing(upgrades + 1);
		this.app.assertNoOrphans(last);
		this.app.assertNoZombies();
		assertLastGenerationStatus(upgrades + 1, last, rows.get(rows.size() - 2).pid(), gen1StartedAt);
		Row second = rows.get(1);
		Row lastRow = rows.get(rows.size() - 1);
		assertThat(lastRow.snapshot().fds())
			.as("open fds of the last generation vs the second's (%d)", second.snapshot().fds())
			.isLessThanOrEqualTo((int) Math.floor(second.snapshot().fds() * (1 + GROWTH)));
		assertThat(lastRow.snapshot().threads())
			.as("threads of the last generation vs the second's (%d)", second.snapshot().threads())
			.isLessThanOrEqualTo((long) Math.floor(second.snapshot().threads() * (1 + GROWTH)));
	}

	/**
	 * The last generation's status: who it is and who came before, the first generation's
	 * start time carried through every handover, no upgrade of its own yet, and the one
	 * listener, inherited.
	 */
	private void assertLastGenerationStatus(int generation, long pid, long parentPid, Instant gen1StartedAt) {
		JsonNode status = this.app.status();
		assertThat(status.path("generation").asInt()).as(status.toString()).isEqualTo(generation);
		assertThat(status.path("pid").asLong()).as(status.toString()).isEqualTo(pid);
		assertThat(status.path("parentPid").asLong()).as(status.toString()).isEqualTo(parentPid);
		assertThat(status.path("state").asString()).as(status.toString()).isEqualTo("SERVING");
		assertThat(Instant.parse(status.path("originalStartedAt").asString())).as(status.toString())
			.isEqualTo(gen1StartedAt);
		assertThat(Instant.parse(status.path("startedAt").asString())).as(status.toString()).isAfter(gen1StartedAt);
		assertThat(status.has("lastUpgrade")).as(status.toString()).isTrue();
		assertThat(status.path("lastUpgrade").isNull()).as(status.toString()).isTrue();
		JsonNode listeners = status.path("listeners");
		assertThat(listeners.size()).as(status.toString()).isEqualTo(1);
		assertThat(listeners.path(0).path("name").asString()).isEqualTo("http");
		assertThat(listeners.path(0).path("address").asString()).isEqualTo(Http.HOST);
		assertThat(listeners.path(0).path("port").asInt()).isEqualTo(this.app.port());
		assertThat(listeners.path(0).path("inherited").asBoolean()).isTrue();
	}

	private static void awaitServedBy(ClientLoop load, int generation) {
		Awaitility.await("the client loop to be served by generation " + generation + " (" + load + ")")
			.atMost(Duration.ofSeconds(30))
			.pollInterval(Duration.ofMillis(20))
			.until(() -> load.servedBy(generation) > 0);
	}

	private static void printTable(List<Row> rows, ClientLoop load) {
		StringBuilder table = new StringBuilder(
				"\n[soak] generation |    pid | trigger | upgrade ms | fds | sockets | " + "unix | threads | RSS MB\n");
		for (Row row : rows) {
			table.append("[soak] ").append(format(row)).append('\n');
		}
		table.append("[soak] load: ").append(load.summary()).append('\n');
		System.out.println(table);
	}

	private static String format(Row row) {
		AppUnderTest.Snapshot s = row.snapshot();
		return String.format("%10d | %6d | %7s | %10d | %3d | %7d | %4d | %7d | %6.1f", row.generation(), row.pid(),
				row.trigger(), row.upgradeMs(), s.fds(), s.sockets(), s.unix(), s.threads(), s.rssKb() / 1024.0);
	}

}
