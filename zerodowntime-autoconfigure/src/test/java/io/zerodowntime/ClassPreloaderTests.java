package io.zerodowntime;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link ClassPreloader}.
 */
class ClassPreloaderTests {

	@Test
	void loadsEveryClassOfThePackageAndItsSubpackagesFromADirectory() throws Exception {
		// run from target/classes: Upgrader's package holds the core, autoconfigure,
		// actuate, tomcat
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
	void loadsTheClassesAResourceLists(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
		java.nio.file.Path list = dir.resolve("META-INF/test/preload.classes");
		java.nio.file.Files.createDirectories(list.getParent());
		java.nio.file.Files.writeString(list, "# a comment\njava.lang.String\n\n  java.util.List  \nno.such.Class\n");
		try (java.net.URLClassLoader loader = new java.net.URLClassLoader(new java.net.URL[] { dir.toUri().toURL() })) {
			assertThat(ClassPreloader.loadListed(loader, "META-INF/test/preload.classes")).isEqualTo(2);
		}
	}

	@Test
	void theUpgradePathListIsPackagedAndItsClassesAreMostlyThere() throws Exception {
		assertThat(ClassPreloader.loadListed(getClass().getClassLoader(), Upgrader.UPGRADE_PATH_CLASSES))
			.isGreaterThan(50);
	}

	@Test
	void skipsClassesThatAreNotThere() {
		ClassPreloader.load(getClass().getClassLoader(), "io.zerodowntime.NoSuchClass", "java.lang.String");
	}

}
