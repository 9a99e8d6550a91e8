package io.zerodowntime;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link ServiceUnitCheck}: a systemd unit that cannot follow an upgrade is
 * told apart from those that can.
 */
class ServiceUnitCheckTests {

	private static final Generation FIRST = new Generation(1, 4242L, null, Instant.now(), Instant.now());

	private static final Generation SECOND = new Generation(2, 4343L, 4242L, Instant.now(), Instant.now());

	@Test
	void typeSimpleOrExecWithoutAPidFileIsWarnedAboutWithTheFix() {
		String problem = new ServiceUnitCheck(Map.of("INVOCATION_ID", "0123abcd"), null, FIRST).problem();
		assertThat(problem).contains("INVOCATION_ID is set")
			.contains("Type=simple or Type=exec")
			.contains("generation 1 (pid 4242)")
			.contains("Restart=")
			.contains("Type=notify")
			.contains("PIDFile=")
			.contains("zerodowntime.pid-file=");
	}

	@Test
	void typeNotifyIsFine() {
		assertThat(new ServiceUnitCheck(Map.of("INVOCATION_ID", "0123abcd", "NOTIFY_SOCKET", "/run/systemd/notify"),
				null, FIRST)
			.problem()).isNull();
	}

	@Test
	void aPidFileIsFine() {
		assertThat(
				new ServiceUnitCheck(Map.of("INVOCATION_ID", "0123abcd"), Path.of("/run/app/app.pid"), FIRST).problem())
			.isNull();
	}

	@Test
	void outsideSystemdNothingIsSaid() {
		assertThat(new ServiceUnitCheck(Map.of(), null, FIRST).problem()).isNull();
		assertThat(new ServiceUnitCheck(Map.of("INVOCATION_ID", " "), null, FIRST).problem()).isNull();
	}

	@Test
	void onlyGenerationOneSaysIt() {
		assertThat(new ServiceUnitCheck(Map.of("INVOCATION_ID", "0123abcd"), null, SECOND).problem()).isNull();
	}

}
