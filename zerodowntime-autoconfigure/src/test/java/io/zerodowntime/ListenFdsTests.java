package io.zerodowntime;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class ListenFdsTests {

	private static final long PID = 4242;

	private final ListenerInspector listening = (fd) -> new SocketInfo(fd, false,
			new InetSocketAddress("127.0.0.1", 8000 + fd));

	@Test
	void noVariablesMeansNoFds() {
		ListenFds fds = ListenFds.parse(Map.of(), PID, this.listening);
		assertThat(fds.fds()).isEmpty();
		assertThat(fds.ignoredReason()).isNull();
	}

	@Test
	void variablesForThisPidGiveNamedFdsFromThree() {
		ListenFds fds = ListenFds.parse(env("2", "4242", "http:management"), PID, this.listening);
		assertThat(fds.fds()).extracting(InheritedFd::fd).containsExactly(3, 4);
		assertThat(fds.fds()).extracting(InheritedFd::name).containsExactly("http", "management");
		assertThat(fds.fds().get(1).localAddress().getPort()).isEqualTo(8004);
	}

	@Test
	void variablesWithoutNamesGiveUnnamedFds() {
		ListenFds fds = ListenFds.parse(env("1", "4242", null), PID, this.listening);
		assertThat(fds.fds()).singleElement().satisfies((fd) -> assertThat(fd.name()).isNull());
	}

	@Test
	void unknownNameIsNoName() {
		ListenFds fds = ListenFds.parse(env("1", "4242", "unknown"), PID, this.listening);
		assertThat(fds.fds().get(0).name()).isNull();
	}

	@Test
	void listenPidOfAnotherProcessIsIgnoredAsSdListenFdsDoes() {
		ListenFds fds = ListenFds.parse(env("2", "99", "http:management"), PID, this.listening);
		assertThat(fds.fds()).isEmpty();
		assertThat(fds.ignoredReason()).contains("LISTEN_PID=99").contains("another process");
	}

	@Test
	void missingListenPidIsIgnored() {
		ListenFds fds = ListenFds.parse(env("2", null, null), PID, this.listening);
		assertThat(fds.fds()).isEmpty();
		assertThat(fds.ignoredReason()).contains("LISTEN_PID is not");
	}

	@Test
	void nonNumericListenFdsIsAnErrorThatSaysWhatToDo() {
		assertThatExceptionOfType(ListenerHandoverException.class)
			.isThrownBy(() -> ListenFds.parse(env("two", "4242", null), PID, this.listening))
			.withMessageContaining("LISTEN_FDS='two' is not a number")
			.satisfies((ex) -> assertThat(ex.getAction()).contains("unset LISTEN_FDS"));
	}

	@Test
	void negativeListenFdsIsAnError() {
		assertThatExceptionOfType(ListenerHandoverException.class)
			.isThrownBy(() -> ListenFds.parse(env("-1", "4242", null), PID, this.listening))
			.withMessageContaining("is negative");
	}

	@Test
	void hugeListenFdsIsAnError() {
		assertThatExceptionOfType(ListenerHandoverException.class)
			.isThrownBy(() -> ListenFds.parse(env("99999999999999999999", "4242", null), PID, this.listening))
			.withMessageContaining("not a number");
		assertThatExceptionOfType(ListenerHandoverException.class)
			.isThrownBy(() -> ListenFds.parse(env("100000", "4242", null), PID, this.listening))
			.withMessageContaining("more than 1024");
	}

	@Test
	void nonNumericListenPidIsAnError() {
		assertThatExceptionOfType(ListenerHandoverException.class)
			.isThrownBy(() -> ListenFds.parse(env("1", "self", null), PID, this.listening))
			.withMessageContaining("LISTEN_PID='self' is not a process id");
	}

	@Test
	void namesCountDifferingFromFdCountIsAnError() {
		assertThatExceptionOfType(ListenerHandoverException.class)
			.isThrownBy(() -> ListenFds.parse(env("2", "4242", "http"), PID, this.listening))
			.withMessageContaining("names 1 fd(s) but LISTEN_FDS=2");
	}

	@Test
	void unusableFdIsKeptWithItsProblem() {
		ListenerInspector closed = (fd) -> {
			throw new IOException("fd " + fd + " is not open");
		};
		ListenFds fds = ListenFds.parse(env("1", "4242", "http"), PID, closed);
		assertThat(fds.fds()).singleElement().satisfies((fd) -> {
			assertThat(fd.usable()).isFalse();
			assertThat(fd.problem()).isEqualTo("fd 3 is not open");
		});
	}

	@Test
	void zeroFdsIsNothingPassed() {
		ListenFds fds = ListenFds.parse(env("0", "4242", ""), PID, this.listening);
		assertThat(fds.fds()).isEmpty();
	}

	private static Map<String, String> env(String fds, String pid, String names) {
		Map<String, String> env = new HashMap<>();
		env.put("PATH", "/usr/bin");
		if (fds != null) {
			env.put("LISTEN_FDS", fds);
		}
		if (pid != null) {
			env.put("LISTEN_PID", pid);
		}
		if (names != null) {
			env.put("LISTEN_FDNAMES", names);
		}
		return env;
	}

}
