package io.zerodowntime;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link Platform}: the one place that says where the native layer works.
 */
class PlatformTests {

	@ParameterizedTest
	@CsvSource({ "Linux,amd64", "Linux,x86_64", "Linux,aarch64", "Linux,arm64" })
	void linuxOnX8664AndAarch64IsSupported(String os, String arch) {
		Platform platform = new Platform(os, arch);
		assertThat(platform.supported()).isTrue();
		assertThat(platform.unsupportedReason()).isNull();
	}

	@ParameterizedTest
	@CsvSource({ "Linux,amd64", "Linux,x86_64", "Linux,aarch64", "Linux,arm64" })
	void everySupportedProcessorHasMeasuredStructLayouts(String os, String arch) {
		assertThat(PosixBinding.Layout.of(arch)).isNotNull();
	}

	@ParameterizedTest
	@CsvSource({ "FreeBSD,amd64", "Mac OS X,aarch64", "Mac OS X,x86_64", "Windows 11,amd64", "Linux,riscv64",
			"Linux,x86", "Linux,arm", "Linux,ppc64le", "SunOS,sparcv9" })
	void everyOtherPlatformIsUnsupportedWithAReasonNamingIt(String os, String arch) {
		Platform platform = new Platform(os, arch);
		assertThat(platform.supported()).isFalse();
		assertThat(platform.unsupportedReason()).startsWith("zero-downtime upgrades are not available on " + os + "/"
				+ arch + ": listener handover and posix_spawn are only implemented for Linux on x86_64 and aarch64");
	}

	@ParameterizedTest
	@CsvSource({ "FreeBSD,amd64", "Linux,riscv64" })
	void nativeLayerRefusesToLoadOnAnUnsupportedPlatform(String os, String arch) {
		String osBefore = System.getProperty("os.name");
		String archBefore = System.getProperty("os.arch");
		try {
			System.setProperty("os.name", os);
			System.setProperty("os.arch", arch);
			assertThat(Platform.current()).isEqualTo(new Platform(os, arch));
			org.assertj.core.api.Assertions.assertThatExceptionOfType(UnsupportedOperationException.class)
				.isThrownBy(Os::posix)
				.withMessageContaining(os + "/" + arch);
			Generation generation = Generation.current();
			assertThat(generation.number()).isEqualTo(1);
			assertThat(generation.pid()).isEqualTo(ProcessHandle.current().pid());
			assertThat(generation.hasParent()).isFalse();
		}
		finally {
			System.setProperty("os.name", osBefore);
			System.setProperty("os.arch", archBefore);
		}
	}

}
