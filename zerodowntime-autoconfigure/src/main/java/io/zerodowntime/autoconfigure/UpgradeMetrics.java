package io.zerodowntime.autoconfigure;

import java.time.Duration;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.zerodowntime.UpgradeListener;
import io.zerodowntime.UpgradeOutcome;
import io.zerodowntime.Upgrader;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;

/**
 * Micrometer meters: {@code zerodowntime.upgrades} (counter, tag {@code outcome}),
 * {@code zerodowntime.generation} (gauge) and {@code zerodowntime.upgrade.duration}
 * (timer, tag {@code outcome}).
 */
class UpgradeMetrics implements UpgradeListener, SmartInitializingSingleton {

	private final Upgrader upgrader;

	private final ObjectProvider<MeterRegistry> registries;

	private volatile MeterRegistry registry;

	UpgradeMetrics(Upgrader upgrader, ObjectProvider<MeterRegistry> registries) {
		this.upgrader = upgrader;
		this.registries = registries;
	}

	@Override
	public void afterSingletonsInstantiated() {
		MeterRegistry registry = this.registries.getIfAvailable();
		if (registry == null) {
			return;
		}
		this.registry = registry;
		Upgrader upgrader = this.upgrader;
		Gauge.builder("zerodowntime.generation", upgrader, (u) -> u.generation().number())
			.description("Generation number of this process")
			.register(registry);
		for (UpgradeOutcome.Outcome outcome : UpgradeOutcome.Outcome.values()) {
			counter(outcome);
		}
		upgrader.addListener(this);
	}

	@Override
	public void upgradeRefused(UpgradeOutcome outcome) {
		record(outcome);
	}

	@Override
	public void upgradeSucceeded(UpgradeOutcome outcome) {
		record(outcome);
	}

	@Override
	public void upgradeFailed(UpgradeOutcome outcome) {
		record(outcome);
	}

	@Override
	public void upgradeRolledBack(UpgradeOutcome outcome) {
		record(outcome);
	}

	private void record(UpgradeOutcome outcome) {
		if (this.registry == null) {
			return;
		}
		counter(outcome.outcome()).increment();
		if (outcome.outcome() != UpgradeOutcome.Outcome.REFUSED) {
			Timer.builder("zerodowntime.upgrade.duration")
				.description("Time from starting a new generation until it was ready or failed")
				.tag("outcome", outcome.outcome().name())
				.register(this.registry)
				.record(Duration.ofMillis(outcome.durationMs()));
		}
	}

	private Counter counter(UpgradeOutcome.Outcome outcome) {
		return Counter.builder("zerodowntime.upgrades")
			.description("Upgrade attempts by outcome")
			.tag("outcome", outcome.name())
			.register(this.registry);
	}

}
