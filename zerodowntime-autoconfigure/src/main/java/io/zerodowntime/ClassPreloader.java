package io.zerodowntime;

import java.io.IOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * Loads classes now, so that later code does not depend on reading them from the
 * application's jar: a jar overwritten in place (instead of replaced by rename) makes
 * every later class load from it fail, and the upgrade, drain and exit paths must still
 * work then. Loading never initializes a class, and a class that cannot be loaded (an
 * optional dependency is missing) is skipped.
 */
final class ClassPreloader {

	private ClassPreloader() {
	}

	/**
	 * Load every class of the code source (jar or directory) that holds {@code anchor}
	 * and lies in its package or below.
	 * @param anchor a class of the code to load
	 * @return how many classes were loaded
	 * @throws IOException if the code source cannot be listed
	 */
	static int loadPackageOf(Class<?> anchor) throws IOException {
		String prefix = anchor.getPackageName().replace('.', '/') + "/";
		int loaded = 0;
		for (String entry : entries(anchor)) {
			if (entry.startsWith(prefix) && entry.endsWith(".class") && !entry.endsWith("module-info.class")
					&& !entry.endsWith("package-info.class")) {
				String name = entry.substring(0, entry.length() - ".class".length()).replace('/', '.');
				if (load(name, anchor.getClassLoader())) {
					loaded++;
				}
			}
		}
		return loaded;
	}

	/**
	 * Load the named classes, skipping those that are not there.
	 * @param loader the class loader
	 * @param names fully qualified class names
	 */
	static void load(ClassLoader loader, String... names) {
		for (String name : names) {
			load(name, loader);
		}
	}

	/**
	 * Load the classes a resource lists, one fully qualified name a line ({@code #}
	 * starts a comment), skipping those that are not there.
	 * @param loader the class loader, which also reads the resource
	 * @param resource the resource's name
	 * @return how many classes were loaded
	 * @throws IOException if the resource cannot be read
	 */
	static int loadListed(ClassLoader loader, String resource) throws IOException {
		int loaded = 0;
		java.util.Enumeration<URL> lists = loader.getResources(resource);
		while (lists.hasMoreElements()) {
			try (java.io.BufferedReader reader = new java.io.BufferedReader(new java.io.InputStreamReader(
					lists.nextElement().openStream(), java.nio.charset.StandardCharsets.UTF_8))) {
				for (String line = reader.readLine(); line != null; line = reader.readLine()) {
					String name = line.strip();
					if (!name.isEmpty() && !name.startsWith("#") && load(name, loader)) {
						loaded++;
					}
				}
			}
		}
		return loaded;
	}

	private static boolean load(String name, ClassLoader loader) {
		try {
			Class.forName(name, false, loader);
			return true;
		}
		catch (ClassNotFoundException | LinkageError ex) {
			return false;
		}
	}

	private static List<String> entries(Class<?> anchor) throws IOException {
		CodeSource source = anchor.getProtectionDomain().getCodeSource();
		if (source == null || source.getLocation() == null) {
			return List.of();
		}
		URL location = source.getLocation();
		if ("file".equals(location.getProtocol())) {
			Path path;
			try {
				path = Path.of(location.toURI());
			}
			catch (URISyntaxException ex) {
				throw new IOException("Unusable code source " + location, ex);
			}
			if (Files.isDirectory(path)) {
				try (Stream<Path> files = Files.walk(path)) {
					return files.filter(Files::isRegularFile)
						.map((file) -> path.relativize(file).toString().replace('\\', '/'))
						.toList();
				}
			}
			try (JarFile jar = new JarFile(path.toFile())) {
				return jar.stream().map(java.util.zip.ZipEntry::getName).toList();
			}
		}
		URL jarUrl = location.toString().startsWith("jar:") ? location
				: java.net.URI.create("jar:" + location + "!/").toURL();
		URLConnection connection = jarUrl.openConnection();
		if (connection instanceof JarURLConnection jarConnection) {
			jarConnection.setUseCaches(false);
			try (JarFile jar = jarConnection.getJarFile()) {
				return jar.stream().map(java.util.zip.ZipEntry::getName).toList();
			}
		}
		return List.of();
	}

}
