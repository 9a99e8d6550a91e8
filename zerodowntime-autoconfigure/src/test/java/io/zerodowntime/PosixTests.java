package io.zerodowntime;

import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Timeout.ThreadMode;
import org.junit.jupiter.api.io.TempDir;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Exercises the {@code Posix*} classes ({@link PosixFds}, {@link PosixSockets},
 * {@link PosixProcesses}, {@link PosixEnvironment}) against real file descriptors and
 * real child processes.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = ThreadMode.SEPARATE_THREAD)
class PosixTests {

	private static Set<Integer> fdsOf(int pid) throws IOException {
		Set<Integer> fds = new TreeSet<>();
		try (DirectoryStream<Path> entries = Files.newDirectoryStream(Path.of("/proc/" + pid + "/fd"))) {
			entries.forEach((entry) -> fds.add(Integer.parseInt(entry.getFileName().toString())));
		}
		return fds;
	}

	private static final List<String> CHILD_ENV = List.of("PATH=/usr/bin:/bin", "LC_ALL=C");

	private final Fds fds = Os.posix().fds();

	private final Sockets sockets = Os.posix().sockets();

	private final Processes processes = Os.posix().processes();

	@TempDir
	Path temp;

	/** {@link PosixSockets}: what a descriptor is, and which one listens where. */
	@Nested
	class SocketInspection {

		@Test
		void inspectListenerDescribesIpv4Listener() throws Exception {
			try (ServerSocketChannel server = ServerSocketChannel.open()) {
				server.bind(new InetSocketAddress("127.0.0.1", 0));
				InetSocketAddress bound = (InetSocketAddress) server.getLocalAddress();
				int fd = PosixTests.this.sockets.findListeningSocketFd(bound);
				assertThat(fd).isGreaterThan(2);
				SocketInfo info = PosixTests.this.sockets.inspectListener(fd);
				assertThat(info.fd()).isEqualTo(fd);
				assertThat(info.localAddress().getPort()).isEqualTo(bound.getPort()).isPositive();
				assertThat(info.localAddress().getAddress()).isEqualTo(InetAddress.getByName("127.0.0.1"));
			}
		}

		@Test
		void inspectListenerDescribesIpv6Listener() throws Exception {
			try (ServerSocketChannel server = ServerSocketChannel.open()) {
				try {
					server.bind(new InetSocketAddress("::1", 0));
				}
				catch (IOException ex) {
					assumeTrue(false, "IPv6 loopback not available: " + ex);
				}
				InetSocketAddress bound = (InetSocketAddress) server.getLocalAddress();
				int fd = PosixTests.this.sockets.findListeningSocketFd(bound);
				SocketInfo info = PosixTests.this.sockets.inspectListener(fd);
				assertThat(info.ipv6()).isTrue();
				assertThat(info.localAddress().getPort()).isEqualTo(bound.getPort());
				assertThat(info.localAddress().getAddress()).isInstanceOf(Inet6Address.class)
					.isEqualTo(InetAddress.getByName("::1"));
			}
		}

		@Test
		void findListeningSocketFdTreatsV4MappedAndIpv4AddressesAsEqual() throws Exception {
			try (ServerSocketChannel server = ServerSocketChannel.open()) {
				server.bind(new InetSocketAddress("127.0.0.1", 0));
				int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
				byte[] mapped = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 127, 0, 0, 1 };
				InetAddress v4Mapped = Inet6Address.getByAddress(null, mapped, -1);
				assertThat(v4Mapped).isInstanceOf(Inet6Address.class);
				int byIpv4 = PosixTests.this.sockets.findListeningSocketFd(new InetSocketAddress("127.0.0.1", port));
				int byMapped = PosixTests.this.sockets.findListeningSocketFd(new InetSocketAddress(v4Mapped, port));
				assertThat(byIpv4).isGreaterThan(2).isEqualTo(byMapped);
			}
		}

		@Test
		void findListeningSocketFdReturnsMinusOneWhenNothingListens() throws Exception {
			int port;
			try (ServerSocketChannel server = ServerSocketChannel.open()) {
				server.bind(new InetSocketAddress("127.0.0.1", 0));
				port = ((InetSocketAddress) server.getLocalAddress()).getPort();
			}
			assertThat(PosixTests.this.sockets.findListeningSocketFd(new InetSocketAddress("127.0.0.1", port)))
				.isEqualTo(-1);
		}

		@Test
		void inspectListenerRejectsConnectedSocket() throws Exception {
			try (ServerSocketChannel server = ServerSocketChannel.open()) {
				server.bind(new InetSocketAddress("127.0.0.1", 0));
				Set<Integer> before = socketFds();
				try (SocketChannel client = SocketChannel.open(server.getLocalAddress())) {
					int fd = singleNewSocketFd(before);
					assertThatExceptionOfType(NotAListenerException.class)
						.isThrownBy(() -> PosixTests.this.sockets.inspectListener(fd))
						.withMessage("fd " + fd + " is a stream socket that is not listening (a connected socket?)")
						.satisfies((ex) -> assertThat(ex.fd()).isEqualTo(fd));
				}
			}
		}

		@Test
		void inspectListenerRejectsUdpSocket() throws Exception {
			Set<Integer> before = socketFds();
			try (DatagramChannel udp = DatagramChannel.open()) {
				udp.bind(new InetSocketAddress("127.0.0.1", 0));
				int fd = singleNewSocketFd(before);
				assertThatExceptionOfType(NotAListenerException.class)
					.isThrownBy(() -> PosixTests.this.sockets.inspectListener(fd))
					.withMessage("fd " + fd + " is a UDP (datagram) socket, not a stream socket");
			}
		}

		@Test
		void inspectListenerRejectsUnixDomainListener() throws Exception {
			Set<Integer> before = socketFds();
			try (ServerSocketChannel unix = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
				unix.bind(UnixDomainSocketAddress.of(PosixTests.this.temp.resolve("listener.sock")));
				int fd = singleNewSocketFd(before);
				assertThatExceptionOfType(NotAListenerException.class)
					.isThrownBy(() -> PosixTests.this.sockets.inspectListener(fd))
					.withMessage("fd " + fd + " is a Unix-domain socket; only TCP (IPv4/IPv6) listeners are supported");
			}
		}

		@Test
		void inspectListenerRejectsRegularFile() throws Exception {
			Path file = Files.writeString(PosixTests.this.temp.resolve("plain.txt"), "hello");
			try (FileInputStream in = new FileInputStream(file.toFile())) {
				int fd = fdOf(file);
				assertThatExceptionOfType(NotAListenerException.class)
					.isThrownBy(() -> PosixTests.this.sockets.inspectListener(fd))
					.withMessage("fd " + fd + " is a regular file, not a socket");
			}
		}

		@Test
		void inspectListenerRejectsClosedFd() throws Exception {
			int fd = PosixTests.this.fds.dup(0);
			PosixTests.this.fds.close(fd);
			assertThat(PosixTests.this.fds.isOpen(fd)).isFalse();
			assertThatExceptionOfType(NotAListenerException.class)
				.isThrownBy(() -> PosixTests.this.sockets.inspectListener(fd))
				.withMessage("fd " + fd + " is not open");
		}

		@Test
		void socketPairEndsAreCloseOnExecAndPeerPidIsOurs() throws Exception {
			int[] pair = PosixTests.this.sockets.socketPair();
			try {
				assertThat(closeOnExec(pair[0])).isTrue();
				assertThat(closeOnExec(pair[1])).isTrue();
				assertThat(PosixTests.this.sockets.peerPid(pair[0])).isEqualTo(PosixTests.this.processes.pid())
					.isEqualTo((int) ProcessHandle.current().pid());
			}
			finally {
				closeAll(pair);
			}
		}

		@Test
		void isUnixSocketTellsUnixSocketsFromTcpSocketsAndFiles() throws Exception {
			int[] pair = PosixTests.this.sockets.socketPair();
			Set<Integer> before = socketFds();
			try (ServerSocketChannel server = ServerSocketChannel.open()) {
				assertThat(PosixTests.this.sockets.isUnixSocket(pair[0])).isTrue();
				server.bind(new InetSocketAddress("127.0.0.1", 0));
				assertThat(PosixTests.this.sockets.isUnixSocket(singleNewSocketFd(before))).isFalse();
				assertThat(PosixTests.this.sockets.isUnixSocket(1) && PosixTests.this.sockets.isUnixSocket(2))
					.isFalse();
			}
			finally {
				closeAll(pair);
			}
		}

		@Test
		void anFdThisJvmOpenedIsNotTakenForAPassedListener() throws Exception {
			// what LISTEN_FDS counting more fds than were passed makes us look at
			int fd = PosixTests.this.fds.dup(0);
			try {
				assertThatExceptionOfType(NotAListenerException.class)
					.isThrownBy(() -> ProcessState.inspectPassed(Os.posix(), fd))
					.withMessageContaining("fd " + fd + " was not passed to this process")
					.withMessageContaining("LISTEN_FDS counts more descriptors than were passed");
			}
			finally {
				PosixTests.this.fds.close(fd);
			}
			assertThatExceptionOfType(NotAListenerException.class)
				.isThrownBy(() -> ProcessState.inspectPassed(Os.posix(), fd))
				.withMessage("fd " + fd + " is not open");
		}

	}

	/** {@link PosixFds}: flags, copies, reads and writes. */
	@Nested
	class Descriptors {

		@Test
		void dupCreatesCloseOnExecCopyAndSetCloseOnExecTogglesIt() throws Exception {
			int fd = PosixTests.this.fds.dup(1);
			try {
				assertThat(fd).isGreaterThan(2);
				assertThat(closeOnExec(fd)).isTrue();
				assertThat(PosixTests.this.fds.isCloseOnExec(fd)).isTrue();
				PosixTests.this.fds.setCloseOnExec(fd, false);
				assertThat(closeOnExec(fd)).isFalse();
				assertThat(PosixTests.this.fds.isCloseOnExec(fd)).isFalse();
				PosixTests.this.fds.setCloseOnExec(fd, true);
				assertThat(closeOnExec(fd)).isTrue();
			}
			finally {
				PosixTests.this.fds.close(fd);
			}
		}

		@Test
		void closeOfClosedFdThrowsWithErrno() throws Exception {
			int fd = PosixTests.this.fds.dup(0);
			PosixTests.this.fds.close(fd);
			assertThatExceptionOfType(NativeException.class).isThrownBy(() -> PosixTests.this.fds.close(fd))
				.withMessage("Unable to close fd " + fd + ": Bad file descriptor (errno 9)")
				.satisfies((ex) -> assertThat(ex.errno()).isEqualTo(9));
		}

		@Test
		void readReturnsWrittenBytesAndZeroAtEndOfStream() throws Exception {
			int[] pair = PosixTests.this.sockets.socketPair();
			try {
				PosixTests.this.fds.writeFully(pair[0], "hello, child".getBytes(StandardCharsets.UTF_8));
				PosixTests.this.fds.close(pair[0]);
				assertThat(readAll(pair[1])).isEqualTo("hello, child");
				byte[] buffer = new byte[8];
				assertThat(PosixTests.this.fds.read(pair[1], buffer, 2, 6)).isZero();
			}
			finally {
				closeQuietly(pair[1]);
			}
		}

		@Test
		void writeFullyToClosedPeerThrowsBrokenPipe() throws Exception {
			int[] pair = PosixTests.this.sockets.socketPair();
			PosixTests.this.fds.close(pair[1]);
			try {
				assertThatExceptionOfType(NativeException.class)
					.isThrownBy(() -> PosixTests.this.fds.writeFully(pair[0], new byte[] { 1, 2, 3 }))
					.withMessage("Unable to write to fd " + pair[0] + ": Broken pipe (errno 32)")
					.satisfies((ex) -> assertThat(ex.errno()).isEqualTo(32));
			}
			finally {
				PosixTests.this.fds.close(pair[0]);
			}
		}

	}

	/** {@link PosixProcesses}: spawn, wait and signal real children. */
	@Nested
	class ProcessControl {

		@Test
		void spawnedChildHasOnlyStandardFdsAndThePassedSocket() throws Exception {
			assertChildHasOnlyStandardFdsAndThePassedSocket(PosixTests.this.processes);
		}

		@Test
		void withoutCloseFromAsBeforeGlibc234TheChildStillHasOnlyStandardFdsAndThePassedSocket() throws Exception {
			PosixProcesses closingEach = new PosixProcesses(PosixBinding.load(), PosixTests.this.fds);
			closingEach.closeEachDescriptor();
			assertChildHasOnlyStandardFdsAndThePassedSocket(closingEach);
		}

		private void assertChildHasOnlyStandardFdsAndThePassedSocket(Processes processes) throws Exception {
			List<AutoCloseable> clutter = new ArrayList<>();
			try {
				for (int i = 0; i < 3; i++) {
					clutter.add(new FileInputStream(
							Files.writeString(PosixTests.this.temp.resolve("f" + i), "x").toFile()));
				}
				ServerSocketChannel unrelated = ServerSocketChannel.open();
				unrelated.bind(new InetSocketAddress("127.0.0.1", 0));
				clutter.add(unrelated);
				assertThat(openFds()).hasSizeGreaterThan(10);
				int[] pair = PosixTests.this.sockets.socketPair();
				clutter.add(() -> closeAll(pair));
				// look from outside: a shell would add fds of its own
				int pid = processes.spawn(List.of("/bin/sleep", "20"), CHILD_ENV, null, new int[] { pair[1] });
				Set<Integer> expected = new TreeSet<>(Set.of(3));
				for (int standard = 0; standard < 3; standard++) {
					if (PosixTests.this.fds.isOpen(standard)) {
						expected.add(standard);
					}
				}
				String childFd3;
				try {
					// the dynamic loader of the child briefly holds fds of its own
					// (ld.so.cache, libc) while it
					// starts; a leaked fd stays, so waiting for the set to settle keeps
					// the check strict
					Awaitility.await()
						.atMost(Duration.ofSeconds(10))
						.pollInterval(Duration.ofMillis(20))
						.untilAsserted(() -> assertThat(fdsOf(pid)).isEqualTo(expected));
					childFd3 = Files.readSymbolicLink(Path.of("/proc/" + pid + "/fd/3")).toString();
				}
				finally {
					PosixTests.this.processes.kill(pid, Processes.SIGKILL);
					PosixTests.this.processes.waitpid(pid, false);
				}
				assertThat(childFd3).isEqualTo(linkTarget(pair[1]));
			}
			finally {
				for (AutoCloseable closeable : clutter) {
					closeable.close();
				}
			}
		}

		@Test
		void spawnedChildHasNoBlockedOrIgnoredSignals() throws Exception {
			// make the parent ignore SIGWINCH, like nohup does with SIGHUP, to show
			// SETSIGDEF resets it
			Signal winch = new Signal("WINCH");
			SignalHandler previous = Signal.handle(winch, SignalHandler.SIG_IGN);
			Child child;
			try {
				assertThat(statusMask("/proc/thread-self/status", "SigIgn") & (1L << (winch.getNumber() - 1)))
					.isNotZero();
				assertThat(statusMask("/proc/thread-self/status", "SigBlk")).isNotZero();
				child = runCapturing(List.of("/bin/sh", "-c", "exec grep -E '^Sig(Blk|Ign)' /proc/self/status >&3"),
						null);
			}
			finally {
				Signal.handle(winch, (previous == SignalHandler.SIG_IGN) ? SignalHandler.SIG_DFL : previous);
			}
			assertThat(child.status().success()).isTrue();
			long blocked = -1;
			long ignored = -1;
			for (String line : child.lines()) {
				String[] parts = line.split(":\\s*");
				if (parts[0].equals("SigBlk")) {
					blocked = Long.parseUnsignedLong(parts[1], 16);
				}
				else if (parts[0].equals("SigIgn")) {
					ignored = Long.parseUnsignedLong(parts[1], 16);
				}
			}
			assertThat(blocked).isZero();
			// posix_spawn sets glibc's internal signals 32 (SIGCANCEL) and 33 (SIGSETXID)
			// to SIG_IGN, and sigfillset
			// excludes them so SETSIGDEF cannot reset them; glibc installs its handlers
			// when it needs them
			long glibcInternal = (1L << (32 - 1)) | (1L << (33 - 1));
			assertThat(ignored & ~glibcInternal).isZero();
		}

		@Test
		void spawnOfMissingProgramNamesItWithErrno() throws Exception {
			int[] pair = PosixTests.this.sockets.socketPair();
			try {
				assertThatExceptionOfType(NativeException.class)
					.isThrownBy(() -> PosixTests.this.processes.spawn(List.of("/no/such/java", "-version"), CHILD_ENV,
							null, new int[] { pair[1] }))
					.withMessage("Unable to spawn /no/such/java: No such file or directory (errno 2)")
					.satisfies((ex) -> assertThat(ex.errno()).isEqualTo(2));
			}
			finally {
				closeAll(pair);
			}
		}

		@Test
		void spawnRejectsFdThatIsNotOpen() throws Exception {
			int fd = PosixTests.this.fds.dup(0);
			PosixTests.this.fds.close(fd);
			assertThatExceptionOfType(NativeException.class)
				.isThrownBy(
						() -> PosixTests.this.processes.spawn(List.of("/bin/true"), CHILD_ENV, null, new int[] { fd }))
				.withMessage("Unable to pass fd " + fd + " to /bin/true: Bad file descriptor (errno 9)");
		}

		@Test
		void spawnHonoursWorkingDirectory() throws Exception {
			Path directory = Files.createDirectory(PosixTests.this.temp.resolve("work dir"));
			Child child = runCapturing(List.of("/bin/sh", "-c", "pwd -P >&3"), directory.toString());
			assertThat(child.lines()).containsExactly(directory.toRealPath().toString());
		}

		@Test
		void spawnIntoMissingWorkingDirectoryFails() throws Exception {
			int[] pair = PosixTests.this.sockets.socketPair();
			try {
				assertThatExceptionOfType(NativeException.class)
					.isThrownBy(() -> PosixTests.this.processes.spawn(List.of("/bin/true"), CHILD_ENV, "/no/such/dir",
							new int[] { pair[1] }))
					.withMessage("Unable to spawn /bin/true in /no/such/dir: No such file or directory (errno 2)");
			}
			finally {
				closeAll(pair);
			}
		}

		@Test
		void spawnPlacesCrossingFdsCorrectly() throws Exception {
			// parent fds 4 and 3 must land on 3 and 4: each source is the other's target
			assumeTrue(PosixTests.this.fds.isOpen(3) && PosixTests.this.fds.isOpen(4),
					"fds 3 and 4 are open in this JVM");
			String parent3 = linkTarget(3);
			String parent4 = linkTarget(4);
			assumeTrue(!parent3.equals(parent4), "fds 3 and 4 refer to different files");
			Child child = runCapturing(
					List.of("/bin/sh", "-c", "readlink /proc/$$/fd/3 /proc/$$/fd/4 /proc/$$/fd/5 >&5"), null, 4, 3);
			assertThat(child.lines()).containsExactly(parent4, parent3, child.pipeTarget());
		}

		@Test
		void spawnPassesTheSameFdTwice() throws Exception {
			int[] pair = PosixTests.this.sockets.socketPair();
			try {
				String passed = linkTarget(pair[1]);
				Child child = runCapturing(
						List.of("/bin/sh", "-c",
								"readlink /proc/$$/fd/3 /proc/$$/fd/4 >&5; echo hi >&3; echo there >&4"),
						null, pair[1], pair[1]);
				PosixTests.this.fds.close(pair[1]);
				assertThat(child.lines()).containsExactly(passed, passed);
				assertThat(readAll(pair[0])).isEqualTo("hi\nthere\n");
			}
			finally {
				closeQuietly(pair[0]);
				closeQuietly(pair[1]);
			}
		}

		@Test
		void waitpidReportsExitCode() throws Exception {
			Child child = runCapturing(List.of("/bin/sh", "-c", "exit 3"), null);
			assertThat(child.status().exitCode()).isEqualTo(3);
			assertThat(child.status().signal()).isNull();
			assertThat(child.status().describe()).isEqualTo("exit code 3");
		}

		@Test
		void waitpidReportsKillingSignal() throws Exception {
			Child child = runCapturing(List.of("/bin/sh", "-c", "kill -9 $$"), null);
			assertThat(child.status().exitCode()).isNull();
			assertThat(child.status().signal()).isEqualTo(Processes.SIGKILL);
			assertThat(child.status().describe()).isEqualTo("killed by signal 9 (SIGKILL)");
		}

		@Test
		void waitpidWithNoHangReturnsNullWhileChildRuns() throws Exception {
			int pid = PosixTests.this.processes.spawn(List.of("sleep", "20"), CHILD_ENV, null, new int[0]);
			try {
				assertThat(PosixTests.this.processes.waitpid(pid, true)).isNull();
				assertThat(PosixTests.this.processes.isAlive(pid)).isTrue();
			}
			finally {
				PosixTests.this.processes.kill(pid, Processes.SIGTERM);
			}
			ExitStatus status = PosixTests.this.processes.waitpid(pid, false);
			assertThat(status).isEqualTo(new ExitStatus(pid, null, Processes.SIGTERM));
			assertThat(status.describe()).isEqualTo("killed by signal 15 (SIGTERM)");
			assertThat(PosixTests.this.processes.isAlive(pid)).isFalse();
			assertThatExceptionOfType(NativeException.class)
				.isThrownBy(() -> PosixTests.this.processes.waitpid(pid, false))
				.satisfies((ex) -> assertThat(ex.errno()).isEqualTo(10));
		}

		@Test
		void killAndIsAliveRefuseProcessGroups() {
			assertThat(PosixTests.this.processes.isAlive(PosixTests.this.processes.pid())).isTrue();
			assertThatIllegalArgumentException().isThrownBy(() -> PosixTests.this.processes.kill(0, Processes.SIGTERM));
			assertThatIllegalArgumentException()
				.isThrownBy(() -> PosixTests.this.processes.kill(-1, Processes.SIGKILL));
			assertThatIllegalArgumentException().isThrownBy(() -> PosixTests.this.processes.isAlive(0));
		}

		@Test
		void spawnPassesArgumentsEnvironmentAndDirectoryByteForByte(@TempDir Path temp) throws IOException {
			// byte form: one char per byte; 0xE9 alone is not UTF-8, C3 A9 is UTF-8 for
			// e-acute
			String notUtf8 = "ab\u00e9cd";
			String utf8 = new String("h\u00e9llo".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
			Path directory = Files.createDirectory(temp.resolve("caf\u00e9"));
			String directoryBytes = new String(directory.toString().getBytes(StandardCharsets.UTF_8),
					StandardCharsets.ISO_8859_1);
			int[] pair = PosixTests.this.sockets.socketPair();
			try {
				int pid = PosixTests.this.processes.spawn(
						List.of("/bin/sh", "-c", "printf '%s|%s|%s' \"$1\" \"$WEIRD\" \"$(pwd -P)\" >&3", "sh", utf8),
						List.of("PATH=/usr/bin:/bin", "WEIRD=" + notUtf8), directoryBytes, new int[] { pair[1] });
				PosixTests.this.fds.close(pair[1]);
				pair[1] = -1;
				ByteArrayOutputStream out = new ByteArrayOutputStream();
				byte[] buffer = new byte[4096];
				int count;
				while ((count = PosixTests.this.fds.read(pair[0], buffer, 0, buffer.length)) > 0) {
					out.write(buffer, 0, count);
				}
				assertThat(PosixTests.this.processes.waitpid(pid, false).describe()).isEqualTo("exit code 0");
				assertThat(out.toByteArray()).containsExactly(ByteStrings.toBytes(utf8 + "|" + notUtf8 + "|"
						+ new String(directory.toRealPath().toString().getBytes(StandardCharsets.UTF_8),
								StandardCharsets.ISO_8859_1)));
			}
			finally {
				closeQuietly(pair[0]);
				if (pair[1] >= 0) {
					closeQuietly(pair[1]);
				}
			}
		}

		@Test
		void spawnRefusesTextThatIsNotInByteForm() {
			assertThatIllegalArgumentException().isThrownBy(
					() -> PosixTests.this.processes.spawn(List.of("/bin/true", "\u20ac"), CHILD_ENV, null, new int[0]))
				.withMessageContaining("byte form");
		}

	}

	/** {@link PosixEnvironment}: in a child JVM, so this one keeps its environment. */
	@Nested
	class EnvironmentScrubbing {

		@Test
		void scrubEnvironmentRemovesVariableFromLibcAndProcEnviron() throws Exception {
			List<String> argv = new ArrayList<>();
			argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
			if (Runtime.version().feature() >= 22) {
				argv.add("--enable-native-access=ALL-UNNAMED");
			}
			argv.addAll(List.of("-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
					ScrubEnvironmentProbe.class.getName(), "FOO_SCRUB"));
			List<String> env = List.of("PATH=/usr/bin:/bin", "FOO_SCRUB=top-secret", "BAR=2");
			Child child = runCapturing(argv, env, null);
			assertThat(child.status().describe()).isEqualTo("exit code 0");
			assertThat(child.lines()).contains("before getenv FOO_SCRUB=top-secret", "after getenv FOO_SCRUB=null",
					"getenv BAR=2");
			String environ = child.lines()
				.stream()
				.filter((line) -> line.startsWith("environ "))
				.findFirst()
				.orElseThrow();
			assertThat(environ).doesNotContain("FOO_SCRUB").doesNotContain("top-secret").contains("|BAR=2|");
		}

	}

	private Child runCapturing(List<String> argv, String workingDirectory, int... leadingFds) throws IOException {
		return runCapturing(argv, CHILD_ENV, workingDirectory, leadingFds);
	}

	/**
	 * Spawns argv with leadingFds at 3.. and a socket for its report after them; collects
	 * the report, reaps it.
	 */
	private Child runCapturing(List<String> argv, List<String> env, String workingDirectory, int... leadingFds)
			throws IOException {
		int[] pair = this.sockets.socketPair();
		try {
			int[] passFds = Arrays.copyOf(leadingFds, leadingFds.length + 1);
			passFds[leadingFds.length] = pair[1];
			String pipeTarget = linkTarget(pair[1]);
			int pid = this.processes.spawn(argv, env, workingDirectory, passFds);
			this.fds.close(pair[1]);
			String output = readAll(pair[0]);
			return new Child(output, this.processes.waitpid(pid, false), pipeTarget);
		}
		finally {
			closeQuietly(pair[0]);
			closeQuietly(pair[1]);
		}
	}

	private String readAll(int fd) throws NativeException {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		byte[] buffer = new byte[4096];
		int count;
		while ((count = this.fds.read(fd, buffer, 0, buffer.length)) > 0) {
			out.write(buffer, 0, count);
		}
		return out.toString(StandardCharsets.UTF_8);
	}

	private void closeAll(int[] fds) throws NativeException {
		for (int fd : fds) {
			this.fds.close(fd);
		}
	}

	private void closeQuietly(int fd) {
		if (this.fds.isOpen(fd)) {
			try {
				this.fds.close(fd);
			}
			catch (NativeException ex) {
				// already gone
			}
		}
	}

	private static boolean closeOnExec(int fd) throws IOException {
		for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo/" + fd))) {
			if (line.startsWith("flags:")) {
				return (Long.parseLong(line.substring(6).trim(), 8) & 02000000) != 0;
			}
		}
		throw new IllegalStateException("No flags in fdinfo of fd " + fd);
	}

	private static long statusMask(String statusFile, String field) throws IOException {
		for (String line : Files.readAllLines(Path.of(statusFile))) {
			if (line.startsWith(field + ":")) {
				return Long.parseUnsignedLong(line.substring(field.length() + 1).trim(), 16);
			}
		}
		throw new IllegalStateException("No " + field + " in " + statusFile);
	}

	private static String linkTarget(int fd) throws IOException {
		return Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
	}

	private static Set<Integer> openFds() throws IOException {
		Set<Integer> fds = new TreeSet<>();
		try (DirectoryStream<Path> entries = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
			entries.forEach((entry) -> fds.add(Integer.parseInt(entry.getFileName().toString())));
		}
		return fds;
	}

	private static Set<Integer> socketFds() throws IOException {
		Set<Integer> sockets = new HashSet<>();
		for (int fd : openFds()) {
			try {
				if (linkTarget(fd).startsWith("socket:")) {
					sockets.add(fd);
				}
			}
			catch (IOException ex) {
				// the directory stream's own fd, closed by now
			}
		}
		return sockets;
	}

	private static int singleNewSocketFd(Set<Integer> before) throws IOException {
		Set<Integer> added = socketFds();
		added.removeAll(before);
		assertThat(added).hasSize(1);
		return added.iterator().next();
	}

	private static int fdOf(Path file) throws IOException {
		String target = file.toRealPath().toString();
		for (int fd : openFds()) {
			try {
				if (linkTarget(fd).equals(target)) {
					return fd;
				}
			}
			catch (IOException ex) {
				// closed since the listing
			}
		}
		throw new UncheckedIOException(new IOException("No fd open on " + target));
	}

	private record Child(String output, ExitStatus status, String pipeTarget) {

		List<String> lines() {
			return output.isEmpty() ? List.of() : List.of(output.split("\n"));
		}
	}

}
