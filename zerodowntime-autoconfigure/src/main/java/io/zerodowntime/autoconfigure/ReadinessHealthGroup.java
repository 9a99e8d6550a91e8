package io.zerodowntime.autoconfigure;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.health.actuate.endpoint.CompositeHealthDescriptor;
import org.springframework.boot.health.actuate.endpoint.HealthDescriptor;
import org.springframework.boot.health.actuate.endpoint.HealthEndpoint;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroups;
import org.springframework.boot.health.actuate.endpoint.IndicatedHealthDescriptor;
import org.springframework.boot.health.contributor.Status;

/**
 * The actuator health group a generation must have {@code UP} to be ready
 * ({@code zerodowntime.readiness.health-group}, by default {@code readiness} if that
 * group exists): says why it is not, naming the failing indicators, e.g.
 * {@code health group 'readiness' is DOWN: db: DOWN (Connection refused)}.
 */
class ReadinessHealthGroup implements Supplier<String>, SmartInitializingSingleton {

	private final ObjectProvider<HealthEndpoint> endpoints;

	private final ObjectProvider<HealthEndpointGroups> groups;

	private final String configured;

	private volatile HealthEndpoint health;

	private volatile String group;

	/**
	 * Create the check; the group is chosen once every bean exists.
	 * @param endpoints the health endpoint, if any
	 * @param groups its groups, if any
	 * @param configured {@code zerodowntime.readiness.health-group}, or {@code null}
	 */
	ReadinessHealthGroup(ObjectProvider<HealthEndpoint> endpoints, ObjectProvider<HealthEndpointGroups> groups,
			String configured) {
		this.endpoints = endpoints;
		this.groups = groups;
		this.configured = configured;
	}

	/**
	 * Choose the group: fails the start if the configured one does not exist.
	 */
	@Override
	public void afterSingletonsInstantiated() {
		HealthEndpoint endpoint = this.endpoints.getIfAvailable();
		HealthEndpointGroups known = this.groups.getIfAvailable();
		boolean configuredOne = this.configured != null && !this.configured.isBlank();
		if (endpoint == null || known == null) {
			if (configuredOne) {
				throw new IllegalStateException("zerodowntime.readiness.health-group=" + this.configured
						+ " is set, but the health endpoint is not available. Enable it "
						+ "(management.endpoint.health.access), or remove the property");
			}
			return;
		}
		String chosen = choose(known, this.configured);
		this.health = endpoint;
		this.group = chosen;
	}

	/**
	 * Return the group to check, or {@code null} when none is.
	 * @param groups the health groups
	 * @param configured {@code zerodowntime.readiness.health-group}, or {@code null}
	 * @return the group name, or {@code null}
	 * @throws IllegalStateException if the configured group does not exist
	 */
	static String choose(HealthEndpointGroups groups, String configured) {
		if (configured == null || configured.isBlank()) {
			return groups.getNames().contains("readiness") ? "readiness" : null;
		}
		if (!groups.getNames().contains(configured)) {
			throw new IllegalStateException("zerodowntime.readiness.health-group=" + configured
					+ " names no health group; the groups are " + groups.getNames() + ". Define it "
					+ "(management.endpoint.health.group." + configured + ".include=...), name an existing one, "
					+ "or remove the property to check the group 'readiness' when it exists");
		}
		return configured;
	}

	String group() {
		return this.group;
	}

	@Override
	public String get() {
		String group = this.group;
		if (group == null) {
			return null;
		}
		HealthDescriptor descriptor = this.health.healthForPath(group);
		if (descriptor == null) {
			return "health group '" + group + "' has no health indicator";
		}
		if (Status.UP.equals(descriptor.getStatus())) {
			return null;
		}
		List<String> failing = new ArrayList<>();
		failing(null, descriptor, failing);
		return "health group '" + group + "' is " + descriptor.getStatus().getCode()
				+ (failing.isEmpty() ? "" : ": " + String.join(", ", failing));
	}

	private static void failing(String name, HealthDescriptor descriptor, List<String> failing) {
		if (descriptor instanceof CompositeHealthDescriptor composite && composite.getComponents() != null) {
			for (Map.Entry<String, HealthDescriptor> component : composite.getComponents().entrySet()) {
				failing((name != null) ? name + "/" + component.getKey() : component.getKey(), component.getValue(),
						failing);
			}
			return;
		}
		if (name == null || Status.UP.equals(descriptor.getStatus())) {
			return;
		}
		String error = null;
		if (descriptor instanceof IndicatedHealthDescriptor indicated && indicated.getDetails() != null
				&& indicated.getDetails().get("error") != null) {
			// "java.net.ConnectException: Connection refused" says "Connection refused"
			error = String.valueOf(indicated.getDetails().get("error")).replaceFirst("^[\\w.$]+: ", "");
		}
		failing.add(name + ": " + descriptor.getStatus().getCode() + ((error != null) ? " (" + error + ")" : ""));
	}

}
