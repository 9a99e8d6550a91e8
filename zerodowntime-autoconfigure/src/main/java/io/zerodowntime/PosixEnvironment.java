package io.zerodowntime;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.reflect.Field;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@link ProcessEnvironment} through libc ({@code getenv}, {@code unsetenv}), the
 * original environment block rewritten through {@code /proc/self/mem}, and the JDK's copy
 * in a private field of {@code java.lang.ProcessEnvironment}, which the JDK takes once,
 * early (log4j's status logger does it before any Spring hook runs).
 */
final class PosixEnvironment implements ProcessEnvironment {

	private final LibC libc;

	private final PosixBinding binding;

	private final Charset charset;

	PosixEnvironment(PosixBinding binding) {
		this.binding = binding;
		this.libc = binding.libc();
		this.charset = ByteStrings.platformCharset();
	}

	@Override
	public String getenv(String name) {
		return this.libc.getenv(name);
	}

	@Override
	public void scrub(Set<String> names) throws NativeException {
		scrubJdkCopy(names);
		for (String name : names) {
			if (name.isEmpty() || name.indexOf('=') >= 0 || name.indexOf('\0') >= 0) {
				throw new IllegalArgumentException("Invalid environment variable name '" + name + "'");
			}
		}
		for (String name : names) {
			if (this.libc.unsetenv(name) != 0) {
				throw this.binding.failure("unset environment variable " + name);
			}
		}
		if (!names.isEmpty()) {
			scrubEnvironmentBlock(names);
		}
	}

	/**
	 * Remove variables from the JDK's copy of the environment.
	 * @param names the variable names
	 * @return whether the copy could be reached
	 */
	static boolean scrubJdkCopy(Set<String> names) {
		if (!Object.class.getModule().isOpen("java.lang", PosixEnvironment.class.getModule())) {
			return false;
		}
		try {
			Field field = Class.forName("java.lang.ProcessEnvironment").getDeclaredField("theEnvironment");
			field.setAccessible(true);
			Map<?, ?> environment = (Map<?, ?>) field.get(null);
			synchronized (environment) {
				environment.keySet().removeIf((name) -> names.contains(name.toString()));
			}
			return true;
		}
		catch (ReflectiveOperationException | RuntimeException ex) {
			return false;
		}
	}

	private void scrubEnvironmentBlock(Set<String> names) throws NativeException {
		long envStart;
		byte[] block;
		try {
			envStart = environmentBlockStart();
			block = Files.readAllBytes(Path.of("/proc/self/environ"));
		}
		catch (IOException | RuntimeException ex) {
			throw new NativeException("Unable to locate the environment block of this process to remove " + names
					+ " from /proc/self/environ: " + ex.getMessage(), 0, ex);
		}
		List<int[]> entries = findEntries(block, names);
		if (entries.isEmpty()) {
			return;
		}
		try (RandomAccessFile memory = new RandomAccessFile("/proc/self/mem", "rw")) {
			for (int[] entry : entries) {
				int offset = entry[0];
				int length = entry[1];
				byte[] current = new byte[length];
				memory.seek(envStart + offset);
				memory.readFully(current);
				if (!Arrays.equals(current, 0, length, block, offset, offset + length)) {
					throw new NativeException("Unable to remove " + names + " from /proc/self/environ: the memory at "
							+ "env_start+" + offset + " does not hold the entry /proc/self/environ shows there", 0,
							null);
				}
				memory.seek(envStart + offset);
				memory.write(new byte[length]);
			}
		}
		catch (IOException ex) {
			if (ex instanceof NativeException nativeException) {
				throw nativeException;
			}
			throw new NativeException("Unable to remove " + names + " from /proc/self/environ: writing /proc/self/mem "
					+ "failed (" + ex.getMessage() + ")", 0, ex);
		}
		try {
			if (!findEntries(Files.readAllBytes(Path.of("/proc/self/environ")), names).isEmpty()) {
				throw new NativeException(
						"Unable to remove " + names + " from /proc/self/environ: still present after " + "overwriting",
						0, null);
			}
		}
		catch (IOException ex) {
			if (ex instanceof NativeException nativeException) {
				throw nativeException;
			}
			throw new NativeException("Unable to verify /proc/self/environ: " + ex.getMessage(), 0, ex);
		}
	}

	/**
	 * Offsets and lengths of the NUL-separated "NAME=value" entries of {@code block}
	 * whose NAME is in {@code names}.
	 */
	private List<int[]> findEntries(byte[] block, Set<String> names) {
		List<byte[]> prefixes = new ArrayList<>();
		for (String name : names) {
			prefixes.add((name + "=").getBytes(this.charset));
		}
		List<int[]> entries = new ArrayList<>();
		int start = 0;
		while (start < block.length) {
			int end = start;
			while (end < block.length && block[end] != 0) {
				end++;
			}
			for (byte[] prefix : prefixes) {
				if (end - start >= prefix.length
						&& Arrays.equals(block, start, start + prefix.length, prefix, 0, prefix.length)) {
					entries.add(new int[] { start, end - start });
					break;
				}
			}
			start = end + 1;
		}
		return entries;
	}

	/**
	 * env_start, field 50 of /proc/self/stat; fields are counted after the last ')' since
	 * comm may hold anything.
	 */
	private static long environmentBlockStart() throws IOException {
		String stat = Files.readString(Path.of("/proc/self/stat"), StandardCharsets.ISO_8859_1);
		int commEnd = stat.lastIndexOf(')');
		if (commEnd < 0) {
			throw new IOException("Unexpected /proc/self/stat format");
		}
		String[] fields = stat.substring(commEnd + 1).trim().split(" ");
		// fields[0] is field 3 (state)
		int envStartIndex = 50 - 3;
		if (fields.length <= envStartIndex + 1) {
			throw new IOException("/proc/self/stat has no env_start field (kernel older than 3.5?)");
		}
		long envStart = Long.parseUnsignedLong(fields[envStartIndex]);
		long envEnd = Long.parseUnsignedLong(fields[envStartIndex + 1]);
		if (envStart == 0 || envEnd < envStart) {
			throw new IOException("/proc/self/stat reports no environment block (" + envStart + ".." + envEnd + ")");
		}
		return envStart;
	}

}
