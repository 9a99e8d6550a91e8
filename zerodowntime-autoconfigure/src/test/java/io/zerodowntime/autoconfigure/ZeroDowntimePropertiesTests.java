package io.zerodowntime.autoconfigure;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.SimpleCommandLinePropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Binding {@link ZeroDowntimeProperties} from a command line, as {@code java -jar app.jar
 * --zerodowntime.command...} does.
 */
class ZeroDowntimePropertiesTests {

	@Test
	void aCommaSeparatedCommandIsSplitAtEveryCommaEvenInsideAnArgument() {
		ZeroDowntimeProperties properties = bind(
				"--zerodowntime.command=/usr/bin/java,-Dspring.profiles.active=prod,eu,-jar,app.jar");
		assertThat(properties.getCommand()).containsExactly("/usr/bin/java", "-Dspring.profiles.active=prod", "eu",
				"-jar", "app.jar");
	}

	@Test
	void theIndexedFormKeepsACommaInsideAnArgument() {
		ZeroDowntimeProperties properties = bind("--zerodowntime.command[0]=/usr/bin/java",
				"--zerodowntime.command[1]=-Dspring.profiles.active=prod,eu", "--zerodowntime.command[2]=-jar",
				"--zerodowntime.command[3]=/opt/app/app.jar", "--zerodowntime.command[4]=--app.tags=a,b,,c");
		assertThat(properties.getCommand()).containsExactly("/usr/bin/java", "-Dspring.profiles.active=prod,eu", "-jar",
				"/opt/app/app.jar", "--app.tags=a,b,,c");
	}

	@Test
	void theIndexedFormKeepsACommaInsideAnArgumentInAPropertiesFile() {
		StandardEnvironment environment = new StandardEnvironment();
		environment.getPropertySources()
			.addFirst(new MapPropertySource("file", Map.of("zerodowntime.command[0]", "java", "zerodowntime.command[1]",
					"-Dspring.profiles.active=prod,eu")));
		assertThat(bind(environment).getCommand()).containsExactly("java", "-Dspring.profiles.active=prod,eu");
	}

	@Test
	void theIndexedFormKeepsACommaInsideAnArgumentInTheEnvironment() {
		StandardEnvironment environment = new StandardEnvironment();
		environment.getPropertySources()
			.replace(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
					new SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
							Map.of("ZERODOWNTIME_COMMAND_0", "java", "ZERODOWNTIME_COMMAND_1", "--app.list=x,y")));
		assertThat(bind(environment).getCommand()).containsExactly("java", "--app.list=x,y");
	}

	@Test
	void theIndexedFormOfOneSourceReplacesTheWholeListOfAnother() {
		StandardEnvironment environment = new StandardEnvironment();
		environment.getPropertySources()
			.addFirst(new MapPropertySource("file", Map.of("zerodowntime.command[0]", "java", "zerodowntime.command[1]",
					"-jar", "zerodowntime.command[2]", "old.jar")));
		environment.getPropertySources()
			.addFirst(new SimpleCommandLinePropertySource("--zerodowntime.command[0]=java",
					"--zerodowntime.command[1]=-jar", "--zerodowntime.command[2]=new,1.jar"));
		assertThat(bind(environment).getCommand()).containsExactly("java", "-jar", "new,1.jar");
	}

	@Test
	void theExitGraceDefaultsToTwoSecondsAndBindsADuration() {
		assertThat(new ZeroDowntimeProperties().getExitGrace()).isEqualTo(Duration.ofSeconds(2));
		assertThat(bind("--zerodowntime.exit-grace=5s").getExitGrace()).isEqualTo(Duration.ofSeconds(5));
	}

	@Test
	void probationIsTenSecondsByDefaultAndTheRollbackRulesAndReadinessGroupBind() {
		ZeroDowntimeProperties defaults = new ZeroDowntimeProperties();
		assertThat(defaults.getProbation()).isEqualTo(Duration.ofSeconds(10));
		assertThat(defaults.getRollback().getMaxErrorRatio()).isNull();
		assertThat(defaults.getRollback().getMinRequests()).isEqualTo(20);
		assertThat(defaults.getReadiness().getHealthGroup()).isNull();
		ZeroDowntimeProperties properties = bind("--zerodowntime.probation=0",
				"--zerodowntime.rollback.max-error-ratio=0.05", "--zerodowntime.rollback.min-requests=50",
				"--zerodowntime.readiness.health-group=ready");
		assertThat(properties.getProbation()).isZero();
		assertThat(properties.getRollback().getMaxErrorRatio()).isEqualTo(0.05);
		assertThat(properties.getRollback().getMinRequests()).isEqualTo(50);
		assertThat(properties.getReadiness().getHealthGroup()).isEqualTo("ready");
	}

	private static ZeroDowntimeProperties bind(String... args) {
		StandardEnvironment environment = new StandardEnvironment();
		environment.getPropertySources().addFirst(new SimpleCommandLinePropertySource(args));
		return bind(environment);
	}

	private static ZeroDowntimeProperties bind(StandardEnvironment environment) {
		return Binder.get(environment)
			.bind("zerodowntime", Bindable.of(ZeroDowntimeProperties.class))
			.orElseGet(ZeroDowntimeProperties::new);
	}

}
