package io.zerodowntime;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Tests for {@link HandoverPriority}, against a fake table of threads.
 */
class HandoverPriorityTests {

	private static final int CALLER = 100;

	private final FakeThreads threads = new FakeThreads();

	private final HandoverPriority priority = new HandoverPriority(this.threads, 10);

	@Test
	void whenANewGenerationStartsEveryThreadButTheCallerRunsAtTheHigherNiceValue() {
		this.threads.add(CALLER, 0).add(1, 0).add(2, 0).add(3, 5);
		this.priority.upgradeStarted(2);
		assertThat(this.threads.nice).containsEntry(CALLER, 0)
			.containsEntry(1, 10)
			.containsEntry(2, 10)
			.containsEntry(3, 10);
	}

	@Test
	void theVmThreadAndTheGcWorkersKeepTheirPriorityAPauseStallsEveryThread() {
		this.threads.add(CALLER, 0).add(1, 0).add(2, 0).add(3, 0).add(4, 0);
		this.threads.names.put(1, "VM Thread");
		this.threads.names.put(2, "GC Thread#0");
		this.threads.names.put(3, "C2 CompilerThre");
		this.priority.upgradeStarted(2);
		assertThat(this.threads.nice).containsEntry(1, 0).containsEntry(2, 0).containsEntry(3, 10).containsEntry(4, 10);
	}

	@Test
	void whenAThreadAlreadyRunsNicerItIsLeftAloneAndKeepsItsValueAfterAFailedUpgrade() {
		this.threads.add(CALLER, 0).add(1, 15).add(2, 10);
		this.priority.upgradeStarted(2);
		this.priority.upgradeFailed(failed());
		assertThat(this.threads.nice).containsEntry(1, 15).containsEntry(2, 10);
	}

	@Test
	void whenTheUpgradeFailsEveryRaisedThreadGetsItsOwnValueBack() {
		this.threads.add(CALLER, 0).add(1, 0).add(2, 3);
		this.priority.upgradeStarted(2);
		this.priority.upgradeFailed(failed());
		assertThat(this.threads.nice).containsEntry(1, 0).containsEntry(2, 3);
	}

	@Test
	void whenAThreadWasCreatedDuringTheHandoverItInheritedTheHigherValueAndGetsTheCallersBack() {
		this.threads.add(CALLER, 0).add(1, 0);
		this.priority.upgradeStarted(2);
		this.threads.add(7, 10);
		this.priority.upgradeFailed(failed());
		assertThat(this.threads.nice).containsEntry(7, 0).containsEntry(1, 0);
	}

	@Test
	void whenAThreadEndsDuringTheHandoverRestoringSkipsIt() {
		this.threads.add(CALLER, 0).add(1, 0).add(2, 0);
		this.priority.upgradeStarted(2);
		this.threads.nice.remove(2);
		assertThat(this.priority.restore()).isZero();
		assertThat(this.threads.nice).containsEntry(1, 0).doesNotContainKey(2);
	}

	@Test
	void whenTheKernelRefusesToLowerTheValueAgainTheThreadsServeOnAtTheHigherOne() {
		this.threads.add(CALLER, 0).add(1, 0).add(2, 0);
		this.priority.upgradeStarted(2);
		this.threads.mayLower = false;
		assertThat(this.priority.restore()).isEqualTo(2);
		assertThat(this.threads.nice).containsEntry(1, 10).containsEntry(2, 10);
		// nothing is remembered: a later upgrade starts from the values it finds
		assertThat(this.priority.restore()).isZero();
	}

	@Test
	void whenTheUpgradeSucceedsTheThreadsStayNiceWhileThisGenerationDrains() {
		this.threads.add(CALLER, 0).add(1, 0);
		this.priority.upgradeStarted(2);
		this.priority
			.upgradeSucceeded(new UpgradeOutcome(UpgradeOutcome.Outcome.SUCCEEDED, null, 2, 42L, Instant.now(), 1000));
		assertThat(this.priority.restore()).isZero();
		assertThat(this.threads.nice).containsEntry(1, 10);
	}

	@Test
	void whenRaisingIsRefusedForOneThreadTheOthersAreStillRaised() {
		this.threads.add(CALLER, 0).add(1, 0).add(2, 0);
		this.threads.refuse = 1;
		this.priority.upgradeStarted(2);
		assertThat(this.threads.nice).containsEntry(1, 0).containsEntry(2, 10);
	}

	@Test
	void aNiceValueThatWouldNotYieldTheCpuIsRefusedNamingTheProperty() {
		assertThatIllegalArgumentException().isThrownBy(() -> new HandoverPriority(this.threads, 20))
			.withMessageContaining("zerodowntime.handover-nice must be from 1 to 19")
			.withMessageContaining("got 20");
		assertThatIllegalArgumentException().isThrownBy(() -> Upgrader.builder().handoverNice(0))
			.withMessageContaining("got 0")
			.withMessageContaining("zerodowntime.handover-priority=false");
	}

	private static UpgradeOutcome failed() {
		return new UpgradeOutcome(UpgradeOutcome.Outcome.FAILED, "not ready", 1, 42L, Instant.now(), 1000);
	}

	static final class FakeThreads implements ThreadNice {

		final Map<Integer, Integer> nice = new TreeMap<>();

		final Map<Integer, String> names = new TreeMap<>();

		boolean mayLower = true;

		int refuse = -1;

		final List<String> calls = new ArrayList<>();

		FakeThreads add(int tid, int value) {
			this.nice.put(tid, value);
			return this;
		}

		@Override
		public List<Integer> threads() {
			return List.copyOf(this.nice.keySet());
		}

		@Override
		public int current() {
			return CALLER;
		}

		@Override
		public int nice(int tid) throws IOException {
			Integer value = this.nice.get(tid);
			if (value == null) {
				throw new IOException("no thread " + tid);
			}
			return value;
		}

		@Override
		public String name(int tid) throws IOException {
			nice(tid);
			return this.names.getOrDefault(tid, "http-nio-8080-e");
		}

		@Override
		public void setNice(int tid, int value) throws NativeException {
			this.calls.add(tid + "=" + value);
			Integer current = this.nice.get(tid);
			if (current == null) {
				throw new NativeException("set the nice value of thread " + tid, "No such process", 3);
			}
			if (tid == this.refuse || (value < current && !this.mayLower)) {
				throw new NativeException("set the nice value of thread " + tid, "Permission denied", 13);
			}
			this.nice.put(tid, value);
		}

	}

}
