package io.zerodowntime.autoconfigure;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.json.JsonParserFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code META-INF/spring-configuration-metadata.json} that the configuration
 * processor writes from {@link ZeroDowntimeProperties} at compile time, which IDEs read
 * to complete and explain {@code zerodowntime.*} properties. The processor runs only when
 * it is named in the compiler's {@code annotationProcessorPaths}: on JDK 23 and later
 * javac no longer runs a processor it merely finds on the class path, so without it this
 * file is silently missing.
 */
class ConfigurationMetadataTests {

	private static final String SOURCE_TYPE = ZeroDowntimeProperties.class.getName();

	private Map<String, Object> metadata;

	@BeforeEach
	void readTheMetadataOfThisModule() throws IOException, URISyntaxException {
		Path classes = Path
			.of(ZeroDowntimeProperties.class.getProtectionDomain().getCodeSource().getLocation().toURI());
		Path file = classes.resolve("META-INF/spring-configuration-metadata.json");
		assertThat(file)
			.as("%s was not generated: the compiler did not run spring-boot-configuration-processor "
					+ "(name it in maven-compiler-plugin's annotationProcessorPaths)", file)
			.isRegularFile();
		this.metadata = JsonParserFactory.getJsonParser().parseMap(Files.readString(file));
	}

	@Test
	void theStartersPropertiesAreDescribedAsOneGroup() {
		assertThat(entries("groups")).anySatisfy((group) -> {
			assertThat(group).containsEntry("name", "zerodowntime");
			assertThat(group).containsEntry("type", SOURCE_TYPE);
		});
	}

	@Test
	void everyPropertyIsListedWithItsType() {
		Map<String, Map<String, Object>> properties = properties();
		assertThat(properties).containsKeys("zerodowntime.enabled", "zerodowntime.upgrade-timeout",
				"zerodowntime.drain-timeout", "zerodowntime.exit-grace", "zerodowntime.pid-file",
				"zerodowntime.command", "zerodowntime.control-socket", "zerodowntime.control-socket-group",
				"zerodowntime.handover-priority", "zerodowntime.handover-nice", "zerodowntime.probation",
				"zerodowntime.rollback.max-error-ratio", "zerodowntime.rollback.min-requests",
				"zerodowntime.readiness.health-group");
		assertThat(properties.get("zerodowntime.probation")).containsEntry("type", "java.time.Duration");
		assertThat(properties.get("zerodowntime.rollback.max-error-ratio")).containsEntry("type", "java.lang.Double");
		assertThat(properties.get("zerodowntime.enabled")).containsEntry("type", "java.lang.Boolean");
		assertThat(properties.get("zerodowntime.drain-timeout")).containsEntry("type", "java.time.Duration");
		assertThat(properties.get("zerodowntime.pid-file")).containsEntry("type", "java.nio.file.Path");
		assertThat(properties.get("zerodowntime.command")).containsEntry("type", "java.util.List<java.lang.String>");
		assertThat(properties.get("zerodowntime.handover-priority")).containsEntry("type", "java.lang.Boolean");
		assertThat(properties.get("zerodowntime.handover-nice")).containsEntry("type", "java.lang.Integer");
		// the nested groups (rollback, readiness) are ZeroDowntimeProperties' own classes
		assertThat(properties.values()).allSatisfy((property) -> assertThat((String) property.get("sourceType"))
			.matches(java.util.regex.Pattern.quote(SOURCE_TYPE) + "(\\$(Rollback|Readiness))?"));
	}

	@Test
	void theEndpointsAccessIsDescribedReadOnlyByDefault() {
		assertThat(entries("properties")).anySatisfy((property) -> {
			assertThat(property).containsEntry("name", "management.endpoint.upgrade.access");
			assertThat(property).containsEntry("defaultValue", "read_only");
		});
	}

	@Test
	void everyPropertyCarriesTheDescriptionItsFieldJavadocGives() {
		assertThat(properties().values()).allSatisfy((property) -> assertThat(property.get("description"))
			.as("description of %s (write the field's Javadoc)", property.get("name"))
			.asString()
			.isNotBlank());
		assertThat(description("zerodowntime.enabled")).startsWith("Whether listening sockets are handed over");
		assertThat(description("zerodowntime.drain-timeout")).contains("waits for the connections it holds");
		assertThat(description("zerodowntime.command")).contains("indexed form");
		assertThat(description("zerodowntime.handover-priority"))
			.startsWith("Whether this generation's threads run at a higher nice value");
		assertThat(description("zerodowntime.handover-nice")).contains("from 1 to 19");
	}

	@Test
	void theDefaultsAreThoseTheFieldsAreInitializedWith() {
		assertThat(defaultValue("zerodowntime.enabled")).isEqualTo("false");
		assertThat(defaultValue("zerodowntime.upgrade-timeout")).isEqualTo("60s");
		assertThat(defaultValue("zerodowntime.drain-timeout")).isEqualTo("30s");
		assertThat(defaultValue("zerodowntime.exit-grace")).isEqualTo("2s");
		assertThat(defaultValue("zerodowntime.handover-priority")).isEqualTo("true");
		assertThat(defaultValue("zerodowntime.handover-nice")).isEqualTo("19");
		assertThat(defaultValue("zerodowntime.probation")).isEqualTo("10s");
		assertThat(defaultValue("zerodowntime.rollback.min-requests")).isEqualTo("20");
		assertThat(properties().get("zerodowntime.rollback.max-error-ratio")).doesNotContainKey("defaultValue");
		assertThat(properties().get("zerodowntime.pid-file")).doesNotContainKey("defaultValue");
	}

	private String description(String name) {
		return (String) properties().get(name).get("description");
	}

	private String defaultValue(String name) {
		return String.valueOf(properties().get(name).get("defaultValue"));
	}

	private Map<String, Map<String, Object>> properties() {
		return entries("properties").stream()
			.filter((property) -> ((String) property.get("name")).startsWith("zerodowntime."))
			.collect(Collectors.toMap((property) -> (String) property.get("name"), Function.identity()));
	}

	@SuppressWarnings("unchecked")
	private List<Map<String, Object>> entries(String key) {
		assertThat(this.metadata).containsKey(key);
		return (List<Map<String, Object>>) this.metadata.get(key);
	}

}
