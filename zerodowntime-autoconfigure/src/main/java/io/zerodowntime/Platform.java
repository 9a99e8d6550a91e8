package io.zerodowntime;

import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The operating system and processor this JVM runs on, and whether the native layer
 * (listener handover, {@code posix_spawn}, the handshake) supports them. This is the one
 * place that decides: nothing native is loaded on a platform it rejects.
 *
 * <p>
 * Supported: Linux with glibc on x86_64 and aarch64, the processors whose struct layouts
 * and constants {@code PosixBinding} was measured on ({@code PosixBinding.Layout}). To
 * add one, measure them there (docs/platforms.md says how) and add its {@code os.arch}
 * names to {@link #SUPPORTED} and to the layouts.
 *
 * @param os the operating system, {@code os.name}
 * @param arch the processor, {@code os.arch}
 */
record Platform(String os, String arch) {

	/**
	 * The supported {@code os.name} values, each with the {@code os.arch} names that are.
	 */
	private static final Map<String, Set<String>> SUPPORTED = Map.of("Linux",
			Set.of("amd64", "x86_64", "aarch64", "arm64"));

	/**
	 * Return the platform this JVM runs on, as its {@code os.name} and {@code os.arch}
	 * system properties say (read on every call, so a test can fake them).
	 * @return the platform
	 */
	public static Platform current() {
		return new Platform(System.getProperty("os.name", ""), System.getProperty("os.arch", ""));
	}

	/**
	 * Return whether the native layer supports this platform.
	 * @return whether upgrades can work here
	 */
	public boolean supported() {
		return SUPPORTED.getOrDefault(this.os, Set.of()).contains(this.arch.toLowerCase(Locale.ROOT));
	}

	/**
	 * Return why upgrades cannot work here, or {@code null} on a supported platform.
	 * @return the reason, naming the platform and what is not available
	 */
	public String unsupportedReason() {
		if (supported()) {
			return null;
		}
		return "zero-downtime upgrades are not available on " + this
				+ ": listener handover and posix_spawn are only implemented for Linux on x86_64 and aarch64 (glibc)";
	}

	@Override
	public String toString() {
		return this.os + "/" + this.arch;
	}

}
