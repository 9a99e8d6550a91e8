package io.zerodowntime;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link ClassPreloader}.
 */
class ClassPreloaderTests {

	@Test
	void loadsEveryClassOfThePackageAndItsSubpackagesFromADirectory() throws Exception {
		// run from target/classes: Upgrader's package holds the core, autoconfigure, actuate, tomcat
		int loaded = ClassPreloader.loadPackageOf(Upgrader.class);
		assertThat(loaded).isGreaterThan(60);
		assertThat(Class.forName("io.zerodowntime.Upgrader$1", false, getClass().getClassLoader())).isNotNull();
	}

	@Test
	void loadsEveryClassOfThePackageFromAJar() throws Exception {
		// a class of AssertJ, which is always a jar on the test class path
		assertThat(ClassPreloader.loadPackageOf(org.assertj.core.api.Assertions.class)).isGreaterThan(100);
	}

	@Test
	void skipsClassesThatAreNotThere() {
		ClassPreloader.load(getClass().getClassLoader(), "io.zerodowntime.NoSuchClass", "java.lang.String");
	}

}
