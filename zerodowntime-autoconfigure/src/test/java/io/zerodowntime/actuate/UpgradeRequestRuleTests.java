package io.zerodowntime.actuate;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link UpgradeRequestRule}, the decision both request filters share.
 */
class UpgradeRequestRuleTests {

	private final UpgradeRequestRule rule = new UpgradeRequestRule(() -> "/actuator/upgrade");

	@Test
	void itDecidesOnPostsToTheEndpointOnly() {
		assertThat(this.rule.applies("POST", "/actuator/upgrade")).isTrue();
		assertThat(this.rule.applies("POST", "/actuator/upgrade/")).isTrue();
		assertThat(this.rule.applies("GET", "/actuator/upgrade")).isFalse();
		assertThat(this.rule.applies("PUT", "/actuator/upgrade")).isFalse();
		assertThat(this.rule.applies("POST", "/actuator/upgraded")).isFalse();
		assertThat(this.rule.applies("POST", "/actuator")).isFalse();
		assertThat(new UpgradeRequestRule(() -> null).applies("POST", "/actuator/upgrade")).isFalse();
	}

	@Test
	void onlyJsonContentTypesLetThePostThrough() {
		assertThat(UpgradeRequestRule.allows("application/json")).isTrue();
		assertThat(UpgradeRequestRule.allows("Application/JSON; charset=UTF-8")).isTrue();
		assertThat(UpgradeRequestRule.allows("application/vnd.spring-boot.actuator.v3+json")).isTrue();
		assertThat(UpgradeRequestRule.allows(null)).isFalse();
		assertThat(UpgradeRequestRule.allows("")).isFalse();
		assertThat(UpgradeRequestRule.allows("text/plain")).isFalse();
		assertThat(UpgradeRequestRule.allows("application/x-www-form-urlencoded")).isFalse();
		assertThat(UpgradeRequestRule.allows("multipart/form-data; boundary=x")).isFalse();
		assertThat(UpgradeRequestRule.allows("text/x+json")).isFalse();
	}

	@Test
	void theRefusalIsValidJsonEvenWhenTheContentTypeIsNot() {
		String body = new String(UpgradeRequestRule.refusal("/actuator/upgrade", "text/\"plain\"\\\n"),
				StandardCharsets.UTF_8);
		assertThat(body).startsWith("{\"error\":\"Unsupported Media Type\",\"reason\":\"POST /actuator/upgrade needs")
			.contains("(got 'text/\\\"plain\\\"\\\\\\u000a')")
			.endsWith("\"}");
	}

}
