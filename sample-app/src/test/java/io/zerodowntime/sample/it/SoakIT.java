package io.zerodowntime.sample.it;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Consecutive upgrades under a client load, alternately by SIGHUP and by
 * {@code POST /actuator/upgrade}: no request fails, no zombie is left, and what each
 * serving generation holds (open fds, threads, resident memory) stays flat. The number of
 * upgrades is the system property {@code soak.upgrades} (10 by default, as in CI;
 * {@code sample-app/soak.sh} runs 50).
 */
class SoakIT {

	private static final int CLIENTS = 3;

	/** How much more than the second generation the last one may hold. */
	private static final double GROWTH = 0.20;

	@TempDir
	Path dir;

	private FaultLoadApp app;

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
	record Row(int generation, long pid, String trigger, long upgradeMs, FaultLoadApp.Snapshot snapshot) {

	}

	@Test
	void consecutiveUpgradesUnderLoadStayFlat() {
		int upgrades = Integer.getInteger("soak.upgrades", 10);
		assertThat(upgrades).as("soak.upgrades").isGreaterThanOrEqualTo(2);
		Duration deadline = Duration.ofSeconds(60L + upgrades * 45L);
		long testStart = System.nanoTime();
		this.app = new FaultLoadApp(this.dir);
		this.app.start();
		long gen1 = this.app.awaitServing(1);
		FaultLoadApp.Snapshot fresh = this.app.baseline(gen1);
		List<Row> rows = new ArrayList<>();
		rows.add(new Row(1, gen1, "start", 0, fresh));
		ClientLoop load = ClientLoop.start(this.app.port(), CLIENTS);
		long serving = gen1;
		try {
			load.awaitMoreOk(20, Duration.ofSeconds(30));
			for (int next = 2; next <= upgrades + 1; next++) {
				assertThat(Duration.ofNanos(System.nanoTime() - testStart)).as("time of the soak so far")
					.isLessThan(deadline);
				long previous = serving;
				long start = System.nanoTime();
				String trigger;
				if (next % 2 == 0) {
					trigger = "SIGHUP";
					FaultLoadProcs.signal(previous, "HUP");
				}
				else {
					trigger = "POST";
					Http.Response post = this.app.postUpgradeOncePredecessorIsGone();
					assertThat(post.status()).as("POST /actuator/upgrade to generation %d: %s", next, post)
						.isEqualTo(200);
				}
				serving = this.app.awaitServing(next);
				long upgradeMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
				Awaitility.await("generation " + (next - 1) + " (pid " + previous + ") to exit")
					.atMost(Duration.ofSeconds(60))
					.pollInterval(Duration.ofMillis(50))
					.until(() -> !FaultLoadProcs.alive(previous));
				// the new generation learns of the exit through its handshake socket
				int generation = next;
				Awaitility.await("generation " + next + " to see its predecessor gone")
					.atMost(Duration.ofSeconds(30))
					.pollInterval(Duration.ofMillis(100))
					.until(() -> this.app.count("Previous generation \\(pid " + previous + "\\) has exited") > 0);
				load.awaitMoreOk(10, Duration.ofSeconds(30));
				FaultLoadApp.Snapshot snapshot = FaultLoadApp.Snapshot.of(serving);
				rows.add(new Row(generation, serving, trigger, upgradeMs, snapshot));
				System.out.println("[soak] " + format(rows.get(rows.size() - 1)) + " | load " + load.summary());
			}
		}
		finally {
			load.close();
			printTable(rows, load);
		}
		assertThat(load.failures()).as("failed client requests (%s)", load.summary()).isEmpty();
		assertThat(this.app.javaPidsSeen()).as("java processes ever started").hasSize(upgrades + 1);
		long last = this.app.assertOneGenerationServing(upgrades + 1);
		this.app.assertNoOrphans(last);
		this.app.assertNoZombies();
		Row second = rows.get(1);
		Row lastRow = rows.get(rows.size() - 1);
		assertThat(lastRow.snapshot().fds())
			.as("open fds of the last generation vs the second's (%d)", second.snapshot().fds())
			.isLessThanOrEqualTo((int) Math.floor(second.snapshot().fds() * (1 + GROWTH)));
		assertThat(lastRow.snapshot().threads())
			.as("threads of the last generation vs the second's (%d)", second.snapshot().threads())
			.isLessThanOrEqualTo((long) Math.floor(second.snapshot().threads() * (1 + GROWTH)));
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
		FaultLoadApp.Snapshot s = row.snapshot();
		return String.format("%10d | %6d | %7s | %10d | %3d | %7d | %4d | %7d | %6.1f", row.generation(), row.pid(),
				row.trigger(), row.upgradeMs(), s.fds(), s.sockets(), s.unix(), s.threads(), s.rssKb() / 1024.0);
	}

}
