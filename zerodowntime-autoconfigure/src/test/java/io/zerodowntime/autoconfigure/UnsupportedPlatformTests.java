package io.zerodowntime.autoconfigure;

import java.util.List;
import java.util.Map;

import io.zerodowntime.UpgradeOutcome;
import io.zerodowntime.UpgradeState;
import io.zerodowntime.Upgrader;
import io.zerodowntime.actuate.UpgradeEndpoint;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * With {@code zerodowntime.enabled=true} on a platform the native layer does not support
 * (faked with {@code os.name} and {@code os.arch}), the application gets what Spring Boot
 * gives it and one warning; every upgrade is refused with the reason.
 */
@ExtendWith(OutputCaptureExtension.class)
class UnsupportedPlatformTests {

	private final WebApplicationContextRunner contextRunner = new WebApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(ZeroDowntimeAutoConfiguration.class))
		.withPropertyValues("zerodowntime.enabled=true", "management.endpoints.web.exposure.include=upgrade");

	@ParameterizedTest
	@CsvSource({ "FreeBSD,amd64", "Mac OS X,aarch64", "Windows 11,amd64", "Linux,riscv64" })
	void onAnUnsupportedPlatformNothingOfTheHandoverIsConfiguredAndOneWarningNamesThePlatform(String os, String arch,
			CapturedOutput output) {
		this.contextRunner.withSystemProperties("os.name=" + os, "os.arch=" + arch).run((context) -> {
			assertThat(context).hasNotFailed()
				.doesNotHaveBean(InheritableConnectorCustomizer.class)
				.hasSingleBean(Upgrader.class);
			Upgrader upgrader = context.getBean(Upgrader.class);
			assertThat(upgrader.state()).isEqualTo(UpgradeState.UNSUPPORTED);
			assertThat(upgrader.generation().number()).isEqualTo(1);
			assertThat(upgrader.generation().pid()).isEqualTo(ProcessHandle.current().pid());
			assertThat(upgrader.listenerRegistry()).as("Tomcat binds its own ports").isNull();
			UpgradeOutcome outcome = upgrader.upgrade();
			assertThat(outcome.outcome()).isEqualTo(UpgradeOutcome.Outcome.REFUSED);
			assertThat(outcome.reason()).contains("not available on " + os + "/" + arch);
		});
		assertThat(output.getOut().lines().filter((line) -> line.contains(" WARN ")))
			.singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
			.contains("zerodowntime.enabled=true, but zero-downtime upgrades are not available on " + os + "/" + arch)
			.contains("refused")
			.contains("zerodowntime.enabled=false");
	}

	@Test
	void endpointReportsTheReasonAndRefusesAnUpgradeWithIt() {
		this.contextRunner.withSystemProperties("os.name=FreeBSD", "os.arch=amd64").run((context) -> {
			UpgradeEndpoint endpoint = context.getBean(UpgradeEndpoint.class);
			Map<String, Object> status = endpoint.status();
			assertThat(status).containsEntry("state", "UNSUPPORTED").containsEntry("generation", 1);
			assertThat((String) status.get("upgradesUnavailable")).contains("FreeBSD/amd64")
				.contains("only implemented for Linux on x86_64");
			assertThat((List<?>) status.get("listeners")).isEmpty();
			var response = endpoint.upgrade();
			assertThat(response.getStatus()).isEqualTo(409);
			assertThat(response.getBody()).containsEntry("outcome", "REFUSED")
				.containsEntry("reason", (Object) status.get("upgradesUnavailable"));
			assertThat(endpoint.status().get("lastUpgrade")).asInstanceOf(InstanceOfAssertFactories.MAP)
				.containsEntry("outcome", "REFUSED");
		});
	}

	@Test
	void onLinuxOnX8664TheHandoverIsConfiguredAndNothingWarns(CapturedOutput output) {
		this.contextRunner.withSystemProperties("os.name=Linux", "os.arch=amd64").run((context) -> {
			assertThat(context).hasSingleBean(InheritableConnectorCustomizer.class)
				.hasSingleBean(GenerationReadyListener.class);
			Upgrader upgrader = context.getBean(Upgrader.class);
			assertThat(upgrader.listenerRegistry()).isNotNull();
			assertThat(upgrader.state()).isEqualTo(UpgradeState.STARTING);
		});
		assertThat(output.getOut()).doesNotContain("are not available on");
	}

}
