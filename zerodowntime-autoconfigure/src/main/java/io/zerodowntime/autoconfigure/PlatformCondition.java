package io.zerodowntime.autoconfigure;

import io.zerodowntime.Platform;

import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Matches when the native layer supports this platform ({@link Supported}) or when it does
 * not ({@link Unsupported}), as {@link Platform#current()} says.
 */
abstract class PlatformCondition extends SpringBootCondition {

	private final boolean wantSupported;

	PlatformCondition(boolean wantSupported) {
		this.wantSupported = wantSupported;
	}

	@Override
	public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
		Platform platform = Platform.current();
		String message = platform.supported() ? "zero-downtime upgrades are supported on " + platform
				: platform.unsupportedReason();
		return (platform.supported() == this.wantSupported) ? ConditionOutcome.match(message)
				: ConditionOutcome.noMatch(message);
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
