package io.zerodowntime.sample.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.awaitility.core.ConditionTimeoutException;

import static org.awaitility.Awaitility.await;

/**
 * The console of every generation of one application, as a file (for
 * {@link UpgradeScenariosIT}).
 *
 * <p>
 * Generation 1 is started with its stdout and stderr redirected to this file, and every
 * later generation inherits them. A pipe to the test would not do: when the started
 * process (generation 1) exits, the JDK's {@link Process} closes its end of the pipe, so
 * whatever generations 2 and later print afterwards is lost.
 */
final class ScenarioLog {

	private final Path file;

	ScenarioLog(Path file) {
		this.file = file;
	}

	/**
	 * Return the file.
	 * @return the file
	 */
	Path file() {
		return this.file;
	}

	/**
	 * Wrap a command so its stdout and stderr go to this file: a launcher for
	 * {@link AppProcess.Builder#launcher(String...)}, which runs shell commands first and
	 * then execs the JVM, so the JVM keeps the started pid.
	 * @param before shell commands to run first (e.g. {@code trap '' HUP;}), or an empty
	 * string
	 * @return the launcher
	 */
	String[] launcher(String before) {
		return new String[] { "/bin/sh", "-c", before + " exec \"$@\" >>\"$0\" 2>&1", this.file.toString() };
	}

	/**
	 * Return every line printed so far.
	 * @return the lines
	 */
	List<String> lines() {
		try {
			return Files.readAllLines(this.file, StandardCharsets.UTF_8);
		}
		catch (NoSuchFileException ex) {
			return List.of();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * Return everything printed so far.
	 * @return the text
	 */
	String text() {
		return String.join("\n", lines());
	}

	/**
	 * Return the first line printed so far that matches.
	 * @param regex the expression, searched with {@link Matcher#find()}
	 * @return the match, if any
	 */
	Optional<Matcher> find(String regex) {
		Pattern pattern = Pattern.compile(regex);
		for (String line : lines()) {
			Matcher matcher = pattern.matcher(line);
			if (matcher.find()) {
				return Optional.of(matcher);
			}
		}
		return Optional.empty();
	}

	/**
	 * Wait until a line matching a regular expression has been printed.
	 * @param regex the expression, searched with {@link Matcher#find()}
	 * @param timeout how long to wait
	 * @return the match
	 */
	Matcher awaitLine(String regex, Duration timeout) {
		try {
			return await("a line matching /" + regex + "/ in " + this.file).atMost(timeout)
				.pollDelay(Duration.ZERO)
				.pollInterval(Duration.ofMillis(50))
				.until(() -> find(regex), Optional::isPresent)
				.get();
		}
		catch (ConditionTimeoutException ex) {
			throw new AssertionError("No line matching /" + regex + "/ within " + timeout + "\n---- " + this.file
					+ " ----\n" + text() + "\n---- end ----", ex);
		}
	}

	/**
	 * Copy the file to the test's output, each line prefixed.
	 * @param prefix the prefix
	 */
	void print(String prefix) {
		for (String line : lines()) {
			System.out.println(prefix + line);
		}
	}

}
