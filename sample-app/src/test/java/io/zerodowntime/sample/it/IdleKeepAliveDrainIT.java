package io.zerodowntime.sample.it;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * 1,000 idle keep-alive connections open at a handover: the old generation closes them
 * only between requests. Half of them send their next request right after the handover
 * and get a 200 from the old generation (with {@code Connection: close}, then a FIN); the
 * other half wait until the old generation's drain deadline has closed them, see a clean
 * close (a FIN, never a reset) before they send, reconnect and get a 200 from the new
 * generation. No request fails.
 */
class IdleKeepAliveDrainIT {

	private static final int CONNECTIONS = 1000;

	@TempDir
	Path dir;

	private AppUnderTest app;

	private final List<Http.Connection> connections = new ArrayList<>();

	@AfterEach
	void stopEveryGeneration() {
		this.connections.forEach(Http.Connection::close);
		if (this.app != null) {
			this.app.close();
		}
	}

	@Test
	void everyIdleConnectionGetsA200ForItsNextRequestOrACleanCloseBeforeItSends() {
		this.app = new AppUnderTest(this.dir);
		this.app.start("--zerodowntime.probation=0", "--zerodowntime.drain-timeout=8s");
		long gen1 = this.app.awaitGeneration(1);
		long t0 = System.nanoTime();
		for (int i = 0; i < CONNECTIONS; i++) {
			Http.Connection connection = new Http.Connection(this.app.port(), Duration.ofSeconds(30));
			this.connections.add(connection);
			Http.Response response = connection.get("/");
			assertThat(response.status()).isEqualTo(200);
			assertThat(response.header("X-Pid")).isEqualTo(Long.toString(gen1));
			assertThat(response.header("Connection")).isNotEqualToIgnoringCase("close");
		}
		long opened = System.nanoTime() - t0;
		Set<Long> gen1Sockets = Procfs.socketInodes(gen1);
		long held = Procfs.serverSideInodes(this.app.port()).values().stream().filter(gen1Sockets::contains).count();
		assertThat(held).as("connections gen 1 holds").isGreaterThanOrEqualTo(CONNECTIONS);

		Procfs.signal(gen1, "HUP");
		long gen2 = this.app.awaitGeneration(2);
		long handover = System.nanoTime();
		Tally tally = new Tally(gen1, gen2);
		// half of them right after the handover, while gen 1 drains
		for (Http.Connection connection : this.connections.subList(0, CONNECTIONS / 2)) {
			tally.nextRequest(connection);
		}
		long firstHalf = System.nanoTime() - handover;
		Procfs.awaitGone(gen1, Duration.ofSeconds(60));
		long gen1Gone = System.nanoTime() - handover;
		// the other half after gen 1's drain deadline closed them
		for (Http.Connection connection : this.connections.subList(CONNECTIONS / 2, CONNECTIONS)) {
			tally.nextRequest(connection);
		}

		System.out.printf(
				"[figures] %d idle keep-alive connections at the handover (opened in %d ms): %d x 200 from the old "
						+ "generation, %d clean closes before sending, %d x 200 from the new generation after "
						+ "reconnecting, %d resets, %d failures; first half sent within %d ms of the handover, "
						+ "gen 1 gone %d ms after it (drain timeout 8000 ms)%n",
				CONNECTIONS, opened / 1_000_000, tally.fromOld, tally.cleanCloses, tally.fromNew, tally.resets.size(),
				tally.failures.size(), firstHalf / 1_000_000, gen1Gone / 1_000_000);
		assertThat(tally.resets).as("resets").isEmpty();
		assertThat(tally.failures).as("failures").isEmpty();
		assertThat(tally.fromOld + tally.cleanCloses).as("200s from the old generation plus clean closes")
			.isEqualTo(CONNECTIONS);
		assertThat(tally.fromNew).as("200s from the new generation after a clean close").isEqualTo(tally.cleanCloses);
		assertThat(tally.cleanCloses).as("connections closed by gen 1's drain deadline").isPositive();
		this.app.awaitLog("Generation 1 \\(pid " + gen1 + "\\): drain timeout \\(8000 ms\\) reached; closed \\d+ idle "
				+ "connection\\(s\\)", Duration.ofSeconds(10));
		this.app.assertOneGenerationServing(2);
	}

	/** What each connection saw, by kind. */
	private final class Tally {

		private final long oldPid;

		private final long newPid;

		private int fromOld;

		private int fromNew;

		private int cleanCloses;

		private final List<String> resets = new ArrayList<>();

		private final List<String> failures = new ArrayList<>();

		Tally(long oldPid, long newPid) {
			this.oldPid = oldPid;
			this.newPid = newPid;
		}

		/**
		 * Before sending, look whether the server closed the connection; if it did,
		 * reconnect; then send one request and read its answer.
		 */
		void nextRequest(Http.Connection connection) {
			String before = connection.peekEnd();
			if (before.startsWith("RESET")) {
				this.resets.add("before sending: " + before);
				return;
			}
			if (before.equals("EOF")) {
				this.cleanCloses++;
				Http.Response response;
				try {
					response = Http.get(IdleKeepAliveDrainIT.this.app.port(), "/");
				}
				catch (UncheckedIOException ex) {
					this.failures.add("after reconnecting: " + ex.getMessage());
					return;
				}
				if (response.status() == 200 && Long.toString(this.newPid).equals(response.header("X-Pid"))) {
					this.fromNew++;
				}
				else {
					this.failures.add("after reconnecting: " + response);
				}
				return;
			}
			if (!before.equals("OPEN")) {
				this.failures.add("unasked bytes: " + before);
				return;
			}
			Http.Response response;
			try {
				response = connection.get("/");
			}
			catch (UncheckedIOException ex) {
				(String.valueOf(ex.getMessage()).contains("reset") ? this.resets : this.failures)
					.add("sent on an open connection: " + ex.getMessage());
				return;
			}
			if (response.status() != 200 || !Long.toString(this.oldPid).equals(response.header("X-Pid"))
					|| !"close".equalsIgnoreCase(response.header("Connection"))) {
				this.failures.add("sent on an open connection: " + response);
				return;
			}
			this.fromOld++;
			String after = connection.end();
			if (after.startsWith("RESET")) {
				this.resets.add("after the answer with Connection: close: " + after);
			}
			else if (!after.equals("EOF")) {
				this.failures.add("after the answer with Connection: close: " + after);
			}
		}

	}

}
