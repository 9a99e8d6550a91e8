package io.zerodowntime.actuate;

/**
 * What triggered the upgrade requested on the current thread, as the servlet
 * {@link UpgradeRequestFilter} records it for {@link UpgradeEndpoint}. Kept apart from
 * the filter so the endpoint loads without the servlet API (a WebFlux application).
 */
final class UpgradeTrigger {

	private static final ThreadLocal<String> trigger = new ThreadLocal<>();

	private UpgradeTrigger() {
	}

	static void set(String value) {
		trigger.set(value);
	}

	static void clear() {
		trigger.remove();
	}

	/**
	 * Return what triggered the upgrade requested on this thread, if it was recorded.
	 * @return e.g. {@code POST /actuator/upgrade from 127.0.0.1}, or {@code null}
	 */
	static String current() {
		return trigger.get();
	}

}
