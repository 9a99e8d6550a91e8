package io.zerodowntime;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Tests for {@link Upgrader.Builder}: the upgrader of this (test) process, built from its
 * options.
 */
class UpgraderBuilderTests {

	@Test
	void withTheDefaultsTheUpgraderOfThisProcessIsStartingWithNoControlSocketAndTheHandoverPriority() {
		Upgrader upgrader = Upgrader.builder().build();
		try {
			assertThat(upgrader.state()).isEqualTo(UpgradeState.STARTING);
			assertThat(upgrader.generation().pid()).isEqualTo(ProcessHandle.current().pid());
			assertThat(upgrader.listenerRegistry()).isNotNull();
			assertThat(upgrader.controlSocket()).isNull();
			assertThat(upgrader.parts()).hasAtLeastOneElementOfType(SystemdNotifier.class)
				.hasAtLeastOneElementOfType(HandoverPriority.class);
			assertThat(upgrader.parts().get(0)).as("the service manager is told first")
				.isInstanceOf(SystemdNotifier.class);
		}
		finally {
			upgrader.close();
		}
	}

	@Test
	void handoverPriorityCanBeTurnedOff() {
		Upgrader upgrader = Upgrader.builder().handoverPriority(false).build();
		assertThat(upgrader.parts()).noneMatch(HandoverPriority.class::isInstance);
	}

	@Test
	void theHandoverPriorityLowersThreadsToTheConfiguredNiceValue() {
		try (Upgrader byDefault = Upgrader.builder().build();
				Upgrader configured = Upgrader.builder().handoverNice(12).build()) {
			assertThat(handoverNice(byDefault)).isEqualTo(19);
			assertThat(handoverNice(configured)).isEqualTo(12);
		}
	}

	private static int handoverNice(Upgrader upgrader) {
		return upgrader.parts()
			.stream()
			.filter(HandoverPriority.class::isInstance)
			.map(HandoverPriority.class::cast)
			.findFirst()
			.orElseThrow()
			.nice();
	}

	@Test
	void theControlSocketIsBoundBesideItsPathWhenBuiltAndRemovedOnClose(@TempDir Path temp) {
		Path socket = temp.resolve("control.sock");
		Upgrader upgrader = Upgrader.builder()
			.controlSocket(socket, null)
			.drainTimeout(Duration.ofSeconds(1))
			.exitGrace(Duration.ofSeconds(1))
			.build();
		assertThat(upgrader.controlSocket()).isNotNull();
		assertThat(socket).doesNotExist();
		assertThat(temp.toFile().list()).singleElement()
			.isEqualTo(".control.sock." + ProcessHandle.current().pid() + ".tmp");
		upgrader.close();
		assertThat(temp.toFile().list()).isEmpty();
	}

	@Test
	void anEmptyControlSocketPathIsRefusedWithTheFix() {
		assertThatExceptionOfType(GenerationStartException.class)
			.isThrownBy(() -> Upgrader.builder().controlSocket(Path.of(""), null).build())
			.satisfies((ex) -> {
				assertThat(ex.getDescription()).isEqualTo("zerodowntime.control-socket is set but empty.");
				assertThat(ex.getAction()).contains("remove the property");
			});
	}

	@Test
	void aControlSocketPathTakenByAFileIsRefused(@TempDir Path temp) throws Exception {
		Path taken = Files.writeString(temp.resolve("control.sock"), "data");
		assertThatExceptionOfType(GenerationStartException.class)
			.isThrownBy(() -> Upgrader.builder().controlSocket(taken, null).build())
			.withMessageContaining("is taken");
		assertThat(taken).hasContent("data");
	}

}
