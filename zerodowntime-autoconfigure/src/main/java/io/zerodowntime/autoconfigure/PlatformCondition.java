package io.zerodowntime.autoconfigure;

import io.zerodowntime.Upgrader;

import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Matches when the native layer supports this platform ({@link Supported}) or when it
 * does not ({@link Unsupported}), as {@link Upgrader.Startup#unavailableOnThisPlatform()}
 * says.
 */
abstract class PlatformCondition extends SpringBootCondition {

	private final boolean wantSupported;

	PlatformCondition(boolean wantSupported) {
		this.wantSupported = wantSupported;
	}

	@Override
	public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
		String unavailable = Upgrader.Startup.unavailableOnThisPlatform();
		boolean supported = unavailable == null;
		String message = supported ? "zero-downtime upgrades are supported on this platform" : unavailable;
		return (supported == this.wantSupported) ? ConditionOutcome.match(message) : ConditionOutcome.noMatch(message);
	}

	/** Matches on a platform where upgrades work. */
	static final class Supported extends PlatformCondition {

		Supported() {
			super(true);
		}

	}

	/** Matches on a platform where upgrades are not available. */
	static final class Unsupported extends PlatformCondition {

		Unsupported() {
			super(false);
		}

	}

}
