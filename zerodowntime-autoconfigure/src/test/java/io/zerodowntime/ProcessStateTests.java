package io.zerodowntime;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link ProcessState}: which handover variables it believes, with forged ones
 * and a fake operating system.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@ExtendWith(OutputCaptureExtension.class)
class ProcessStateTests {

	private static final int PID = 2001;

	private static final int PARENT = 1001;

	private static final int HANDSHAKE_FD = 5;

	private final FakeOs fake = new FakeOs(PID);

	private final List<FakeOs.Fd> handshakes = new ArrayList<>();

	@AfterEach
	void endHandshakes() {
		// lets the parent-watch thread of a believed handshake finish
		this.handshakes.forEach(FakeOs.Fd::endOfStream);
	}

	@Test
	void whenNoHandoverVariablesAreSetThenThisIsGenerationOne() {
		ProcessState state = ProcessState.read(Map.of(), this.fake.os());
		assertThat(state.generation().number()).isEqualTo(1);
		assertThat(state.generation().pid()).isEqualTo(PID);
		assertThat(state.generation().hasParent()).isFalse();
		assertThat(state.parentLink()).isNull();
		assertThat(state.listeners().hasInherited()).isFalse();
		assertThat(this.fake.environment.scrubbed).containsExactly(Handshake.VARIABLES);
	}

	@Test
	void whenTheVariablesAreConfirmedByTheKernelThenThisIsTheGenerationTheyName() {
		FakeOs.Fd handshake = this.fake.sockets.unixSocket(HANDSHAKE_FD, PARENT);
		this.handshakes.add(handshake);
		this.fake.processes.run(PARENT, "100");
		ProcessState state = ProcessState.read(handover(PARENT), this.fake.os());
		assertThat(state.generation().number()).isEqualTo(3);
		assertThat(state.generation().parentPid()).isEqualTo(PARENT);
		assertThat(state.generation().originalStartedAt().toEpochMilli()).isEqualTo(1_000_000L);
		assertThat(state.parentLink()).isNotNull();
		assertThat(state.parentLink().parentPid()).isEqualTo(PARENT);
		assertThat(handshake.closeOnExec).as("the handshake is not passed on to a later generation").isTrue();
		assertThat(this.fake.environment.scrubbed).containsExactly(Handshake.VARIABLES);
	}

	@Test
	void whenTheHandshakeFdIsNotAUnixSocketThenTheVariablesAreIgnored(CapturedOutput output) {
		this.fake.fds.open(HANDSHAKE_FD);
		ProcessState state = ProcessState.read(handover(PARENT), this.fake.os());
		assertThat(state.generation().number()).isEqualTo(1);
		assertThat(state.parentLink()).isNull();
		assertThat(output).contains("Ignoring the handover variables: ZERODOWNTIME_HANDSHAKE_FD=5 is not a handshake "
				+ "socket (fd 5 is not a Unix-domain socket); starting as generation 1");
	}

	@Test
	void whenTheHandshakeFdIsNotOpenThenTheVariablesAreIgnored(CapturedOutput output) {
		ProcessState state = ProcessState.read(handover(PARENT), this.fake.os());
		assertThat(state.generation().number()).isEqualTo(1);
		assertThat(output).contains("ZERODOWNTIME_HANDSHAKE_FD=5 is not a handshake socket (Unable to fstat fd 5");
	}

	@Test
	void whenTheHandshakePeerIsNotTheNamedParentThenTheVariablesAreIgnored(CapturedOutput output) {
		FakeOs.Fd handshake = this.fake.sockets.unixSocket(HANDSHAKE_FD, 999);
		ProcessState state = ProcessState.read(handover(PARENT), this.fake.os());
		assertThat(state.generation().number()).isEqualTo(1);
		assertThat(state.generation().hasParent()).isFalse();
		assertThat(state.parentLink()).isNull();
		assertThat(handshake.closeOnExec).isFalse();
		assertThat(output).contains("Ignoring the handover variables: fd 5 belongs to pid 999, not to "
				+ "ZERODOWNTIME_PARENT_PID=1001; starting as generation 1");
		assertThat(this.fake.environment.scrubbed).as("scrubbed all the same").containsExactly(Handshake.VARIABLES);
	}

	@ParameterizedTest
	@ValueSource(ints = { 0, 1, -7 })
	void whenTheParentPidIsNotAPossibleParentThenTheVariablesAreMalformed(int parentPid, CapturedOutput output) {
		this.fake.sockets.unixSocket(HANDSHAKE_FD, parentPid);
		ProcessState state = ProcessState.read(handover(parentPid), this.fake.os());
		assertThat(state.generation().number()).isEqualTo(1);
		assertThat(state.parentLink()).isNull();
		assertThat(output).contains("Ignoring malformed handover variables (ZERODOWNTIME_HANDSHAKE_FD=5, "
				+ "ZERODOWNTIME_GENERATION=3, ZERODOWNTIME_PARENT_PID=" + parentPid + "); starting as generation 1");
	}

	@ParameterizedTest
	@ValueSource(strings = { Handshake.GENERATION, Handshake.PARENT_PID, Handshake.ORIGINAL_START })
	void whenAHandoverVariableIsMissingThenThisIsGenerationOne(String missing, CapturedOutput output) {
		this.fake.sockets.unixSocket(HANDSHAKE_FD, PARENT);
		Map<String, String> environment = new HashMap<>(handover(PARENT));
		environment.remove(missing);
		ProcessState state = ProcessState.read(environment, this.fake.os());
		assertThat(state.generation().number()).isEqualTo(1);
		assertThat(state.parentLink()).isNull();
		assertThat(output).contains("Ignoring malformed handover variables");
	}

	@Test
	void whenTheHandshakeFdIsAStandardStreamThenTheVariablesAreMalformed(CapturedOutput output) {
		this.fake.sockets.unixSocket(2, PARENT);
		Map<String, String> environment = new HashMap<>(handover(PARENT));
		environment.put(Handshake.HANDSHAKE_FD, "2");
		ProcessState state = ProcessState.read(environment, this.fake.os());
		assertThat(state.generation().number()).isEqualTo(1);
		assertThat(output).contains("Ignoring malformed handover variables (ZERODOWNTIME_HANDSHAKE_FD=2");
	}

	@Test
	void whenListenFdsCountsAnFdTheJvmOpenedThenItIsNeverTakenForAListener(CapturedOutput output) {
		FakeOs.Fd passed = this.fake.sockets.listener(3, 8080);
		FakeOs.Fd own = this.fake.fds.open(4);
		own.closeOnExec = true;
		ProcessState state = ProcessState.read(Map.of(Handshake.LISTEN_FDS, "2", Handshake.LISTEN_PID,
				Integer.toString(PID), Handshake.LISTEN_FDNAMES, "http:extra"), this.fake.os());
		assertThat(state.generation().number()).isEqualTo(1);
		assertThat(state.listeners().hasInherited()).isTrue();
		assertThat(passed.closeOnExec).as("a passed listener is not passed on by exec").isTrue();
		assertThat(output).contains("Passed fd 3 named 'http': listening on 127.0.0.1:8080")
			.contains("Passed fd 4 named 'extra': fd 4 was not passed to this process (it is one the JVM opened "
					+ "itself): LISTEN_FDS counts more descriptors than were passed");
		state.listeners().closeUnclaimed();
		assertThat(this.fake.fds.closed).as("the JVM's own fd is left alone").containsExactly(3);
		assertThat(this.fake.fds.isOpen(4)).isTrue();
	}

	@Test
	void whenListenPidNamesAnotherProcessThenNothingIsTakenOver(CapturedOutput output) {
		this.fake.sockets.listener(3, 8080);
		ProcessState state = ProcessState.read(Map.of(Handshake.LISTEN_FDS, "1", Handshake.LISTEN_PID, "77"),
				this.fake.os());
		assertThat(state.listeners().hasInherited()).isFalse();
		assertThat(output).contains("Ignoring the socket-activation variables: LISTEN_PID=77 names another process "
				+ "(this is pid " + PID + "); listeners will be bound anew");
	}

	@Test
	void whenScrubbingFailsThenTheProcessStartsAllTheSame(CapturedOutput output) {
		Os os = new Os(this.fake.fds, this.fake.sockets, this.fake.processes, new ProcessEnvironment() {

			@Override
			public String getenv(String name) {
				return null;
			}

			@Override
			public void scrub(java.util.Set<String> names) throws NativeException {
				throw new NativeException("unset environment variable LISTEN_FDS", "Invalid argument", 22);
			}

		});
		ProcessState state = ProcessState.read(Map.of(), os);
		assertThat(state.generation().number()).isEqualTo(1);
		assertThat(output).contains("Unable to remove")
			.contains("from the environment: Unable to unset environment "
					+ "variable LISTEN_FDS: Invalid argument (errno 22)");
	}

	private static Map<String, String> handover(int parentPid) {
		return Map.of(Handshake.HANDSHAKE_FD, Integer.toString(HANDSHAKE_FD), Handshake.PARENT_PID,
				Integer.toString(parentPid), Handshake.GENERATION, "3", Handshake.ORIGINAL_START, "1000000");
	}

}
