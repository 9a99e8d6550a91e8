package io.zerodowntime;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.byref.IntByReference;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * How {@link PosixProcesses} keeps every unpassed descriptor out of the child, with a
 * scripted C library: {@code posix_spawn_file_actions_addclosefrom_np} where glibc has it
 * (2.34 and later), one close action per descriptor number up to the descriptor table's
 * size before that; and {@link PosixBinding}'s struct layouts for each processor.
 */
class PosixSpawnTests {

	private static final int[] PASS = { 40, 41 };

	private final FakeOs os = new FakeOs(100);

	private final ScriptedLibC script = new ScriptedLibC();

	private final AtomicInteger tableSize = new AtomicInteger(64);

	private final List<Integer> tableSizes = new CopyOnWriteArrayList<>();

	PosixSpawnTests() {
		for (int fd : PASS) {
			this.os.fds.open(fd);
		}
	}

	private PosixProcesses processes() {
		PosixBinding binding = new PosixBinding(this.script.proxy(), Runtime.getSystemRuntime(),
				PosixBinding.Layout.X86_64);
		return new PosixProcesses(binding, this.os.fds, () -> {
			int size = this.tableSize.get();
			this.tableSizes.add(size);
			return size;
		});
	}

	@Test
	void whenCloseFromIsAvailableThenOneActionClosesEveryDescriptorAboveThePassedOnes() throws Exception {
		int pid = processes().spawn(List.of("/bin/true"), List.of(), null, PASS);
		assertThat(pid).isEqualTo(4242);
		assertThat(this.script.closeFromLowFd).containsExactly(3 + PASS.length);
		assertThat(this.script.closed).isEmpty();
		assertThat(this.tableSizes).as("the table size is not needed").isEmpty();
	}

	@Test
	void whenCloseFromIsMissingThenEveryDescriptorNumberUpToTheTableSizeAndTheTemporariesIsClosed() throws Exception {
		this.script.closeFromMissing = true;
		this.tableSize.set(1024);
		int pid = processes().spawn(List.of("/bin/true"), List.of(), null, PASS);
		assertThat(pid).isEqualTo(4242);
		assertThat(this.script.closed).hasSize(1024 - 5).startsWith(5, 6, 7).endsWith(1022, 1023);
		assertThat(this.tableSizes).as("read before the spawn and after it").containsExactly(1024, 1024);
		assertThat(this.script.killed).isEmpty();
	}

	@Test
	void whenTheTableIsSmallerThanTheTemporariesThenTheyAreClosedToo() throws Exception {
		this.script.closeFromMissing = true;
		this.tableSize.set(64);
		processes().spawn(List.of("/bin/true"), List.of(), null, PASS);
		// the two-phase dup2 parks the passed fds at 900 and 901 in the child
		assertThat(this.script.closed).startsWith(5).endsWith(900, 901).hasSize(902 - 5);
	}

	@Test
	void whenCloseFromIsMissingOnceThenItIsNotLookedUpAgain() throws Exception {
		this.script.closeFromMissing = true;
		PosixProcesses processes = processes();
		processes.spawn(List.of("/bin/true"), List.of(), null, PASS);
		processes.spawn(List.of("/bin/true"), List.of(), null, PASS);
		assertThat(this.script.closeFromLookups.get()).isEqualTo(1);
	}

	@Test
	void whenTheTableGrowsDuringTheSpawnThenTheChildIsKilledAndTheSpawnFails() {
		this.script.closeFromMissing = true;
		this.tableSize.set(1024);
		this.script.onSpawn = () -> this.tableSize.set(2048);
		assertThatExceptionOfType(DescriptorTableGrewException.class)
			.isThrownBy(() -> processes().spawn(List.of("/bin/true"), List.of(), null, PASS))
			.withMessageContaining("descriptor table grew from 1024 to 2048 slots")
			.withMessageContaining("pid 4242")
			.satisfies((ex) -> assertThat(ex.pid()).isEqualTo(4242));
		assertThat(this.script.killed).containsExactly(4242);
		assertThat(this.script.reaped).containsExactly(4242);
	}

	@Test
	void whenTheOpenFilesLimitEndsTheRangeThenNothingAboveItMayBeOpen() throws Exception {
		this.script.closeFromMissing = true;
		this.tableSize.set(1024);
		this.script.openFilesLimit = 1000;
		processes().spawn(List.of("/bin/true"), List.of(), null, PASS);
		assertThat(this.script.closed).endsWith(999);
		this.os.fds.open(1010);
		assertThatExceptionOfType(NativeException.class)
			.isThrownBy(() -> processes().spawn(List.of("/bin/true"), List.of(), null, PASS))
			.withMessageContaining("fd 1010 is open above the open-files limit (1000)")
			.withMessageContaining("ulimit -n");
	}

	@Test
	void whenChdirIsMissingThenOnlyTheCurrentDirectoryIsAccepted() throws Exception {
		this.script.chdirMissing = true;
		String here = System.getProperty("user.dir");
		processes().spawn(List.of("/bin/true"), List.of(), here, PASS);
		assertThat(this.script.spawned).isEqualTo(1);
		assertThatExceptionOfType(NativeException.class)
			.isThrownBy(() -> processes().spawn(List.of("/bin/true"), List.of(), "/", PASS))
			.withMessageContaining("it must start in /, which is not this process's working directory")
			.withMessageContaining("posix_spawn_file_actions_addchdir_np (glibc 2.29 or later)");
		assertThat(this.script.spawned).isEqualTo(1);
	}

	@Test
	void structLayoutsDifferOnlyInStructStatBetweenX8664AndAarch64() {
		PosixBinding.Layout x86 = PosixBinding.Layout.of("amd64");
		PosixBinding.Layout arm = PosixBinding.Layout.of("aarch64");
		assertThat(x86).isEqualTo(PosixBinding.Layout.of("x86_64"));
		assertThat(arm).isEqualTo(PosixBinding.Layout.of("arm64"));
		assertThat(x86.statSize()).isEqualTo(144);
		assertThat(x86.statModeOffset()).isEqualTo(24);
		assertThat(x86.statVersion()).isEqualTo(1);
		assertThat(arm.statSize()).isEqualTo(128);
		assertThat(arm.statModeOffset()).isEqualTo(16);
		assertThat(arm.statVersion()).isZero();
		assertThat(PosixBinding.Layout.of("riscv64")).isNull();
		assertThat(PosixBinding.Layout.of("x86")).isNull();
	}

	@Test
	void beforeGlibc233FstatIsCalledAsFxstatWithTheProcessorsStatVersion() {
		this.script.fstatMissing = true;
		PosixBinding arm = new PosixBinding(this.script.proxy(), Runtime.getSystemRuntime(),
				PosixBinding.Layout.AARCH64);
		assertThat(arm.fstat(7, null)).isZero();
		PosixBinding x86 = new PosixBinding(this.script.proxy(), Runtime.getSystemRuntime(),
				PosixBinding.Layout.X86_64);
		assertThat(x86.fstat(8, null)).isZero();
		assertThat(this.script.fxstatCalls).containsExactly("0:7", "1:8");
	}

	@Test
	void theRealTableSizeCoversEveryOpenDescriptor() throws Exception {
		int size = PosixProcesses.readDescriptorTableSize();
		assertThat(size).isPositive();
		for (int fd : Os.posix().fds().openFds()) {
			assertThat(fd).isLessThan(size);
		}
	}

	/** A C library whose spawn functions record their calls. */
	private static final class ScriptedLibC {

		volatile boolean closeFromMissing;

		volatile boolean chdirMissing;

		volatile boolean fstatMissing;

		volatile int openFilesLimit = Integer.MAX_VALUE;

		volatile Runnable onSpawn = () -> {
		};

		final List<Integer> closeFromLowFd = new CopyOnWriteArrayList<>();

		final AtomicInteger closeFromLookups = new AtomicInteger();

		final List<Integer> closed = new CopyOnWriteArrayList<>();

		final List<Integer> killed = new CopyOnWriteArrayList<>();

		final List<Integer> reaped = new CopyOnWriteArrayList<>();

		final List<String> fxstatCalls = new ArrayList<>();

		volatile int spawned;

		LibC proxy() {
			return (LibC) Proxy.newProxyInstance(LibC.class.getClassLoader(), new Class<?>[] { LibC.class },
					(proxy, method, args) -> call(method.getName(), args));
		}

		private Object call(String name, Object[] args) {
			switch (name) {
				case "posix_spawn_file_actions_addclosefrom_np":
					this.closeFromLookups.incrementAndGet();
					if (this.closeFromMissing) {
						throw new UnsatisfiedLinkError("posix_spawn_file_actions_addclosefrom_np");
					}
					this.closeFromLowFd.add((Integer) args[1]);
					return 0;
				case "posix_spawn_file_actions_addclose":
					int fd = (Integer) args[1];
					if (fd >= this.openFilesLimit) {
						return PosixBinding.EBADF;
					}
					this.closed.add(fd);
					return 0;
				case "posix_spawn_file_actions_addchdir_np":
					if (this.chdirMissing) {
						throw new UnsatisfiedLinkError("posix_spawn_file_actions_addchdir_np");
					}
					return 0;
				case "posix_spawnp":
					this.spawned++;
					this.onSpawn.run();
					// what posix_spawnp writes through its pid_t *
					Pointer pid = Memory.allocate(Runtime.getSystemRuntime(), 4);
					pid.putInt(0, 4242);
					((IntByReference) args[0]).fromNative(Runtime.getSystemRuntime(), pid, 0);
					return 0;
				case "kill":
					this.killed.add((Integer) args[0]);
					return 0;
				case "waitpid":
					this.reaped.add((Integer) args[0]);
					return args[0];
				case "fstat":
					if (this.fstatMissing) {
						throw new UnsatisfiedLinkError("fstat");
					}
					return 0;
				case "__fxstat":
					this.fxstatCalls.add(args[0] + ":" + args[1]);
					return 0;
				case "gnu_get_libc_version":
					return "2.31";
				case "hashCode":
					return System.identityHashCode(this);
				default:
					return 0;
			}
		}

	}

}
