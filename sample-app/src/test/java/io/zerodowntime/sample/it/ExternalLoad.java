package io.zerodowntime.sample.it;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A load generator we did not write ({@code wrk}, {@code hey}), run as a child process of
 * the test JVM with a hard duration cap, and stopped when the test is done with it by
 * SIGINT, on which both print their usual summary. Its console output goes to a file,
 * which is parsed by the subclass.
 */
abstract class ExternalLoad implements AutoCloseable {

	private final String name;

	private final List<String> command;

	private final Path output;

	private final Process process;

	private final long startNanos = System.nanoTime();

	private String finalOutput;

	ExternalLoad(String name, List<String> command, Path output) {
		this.name = name;
		this.command = List.copyOf(command);
		this.output = output;
		ProcessBuilder builder = new ProcessBuilder(command);
		builder.redirectErrorStream(true);
		builder.redirectOutput(output.toFile());
		builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
		System.out.println("[" + name + "] ## starting " + String.join(" ", command));
		try {
			this.process = builder.start();
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Unable to start " + command, ex);
		}
	}

	String name() {
		return this.name;
	}

	List<String> command() {
		return this.command;
	}

	/**
	 * Stop the load (SIGINT, to this child process only) and return everything it
	 * printed. Fails if it had already exited on its own before being told to stop, which
	 * means its duration cap was too short for the test or it failed to start.
	 */
	String stop() {
		if (this.finalOutput != null) {
			return this.finalOutput;
		}
		long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - this.startNanos);
		if (!this.process.isAlive()) {
			String output = read();
			throw new AssertionError(this.name + " exited (code " + this.process.exitValue() + ") after " + seconds
					+ " s, before the test stopped it: " + String.join(" ", this.command) + "\n" + output);
		}
		Procfs.signal(this.process.pid(), "INT");
		try {
			if (!this.process.waitFor(30, TimeUnit.SECONDS)) {
				this.process.destroyForcibly();
				throw new AssertionError(this.name + " did not exit within 30 s of SIGINT\n" + read());
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new AssertionError("interrupted", ex);
		}
		this.finalOutput = read();
		System.out.println("[" + this.name + "] ## ran " + seconds + " s, exit code " + this.process.exitValue() + ":\n"
				+ this.finalOutput);
		return this.finalOutput;
	}

	@Override
	public void close() {
		if (this.process.isAlive()) {
			this.process.destroyForcibly();
			try {
				this.process.waitFor(10, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
	}

	private String read() {
		try {
			return Files.readString(this.output, StandardCharsets.UTF_8);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
