package io.zerodowntime;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Strings in byte form: each {@code char} holds one byte (0-255) of what the kernel has,
 * as ISO-8859-1 maps them, so a string read this way and written back the same way gives
 * the very same bytes, whatever they are (not valid UTF-8, or not representable in the
 * locale's charset). The command line and the environment of a generation travel to the
 * next one in this form, never decoded with the platform charset on the way.
 */
final class ByteStrings {

	/** The lossless byte to char mapping. */
	static final Charset BYTES = StandardCharsets.ISO_8859_1;

	private ByteStrings() {
	}

	/**
	 * Return the NUL-terminated entries of a {@code /proc} file ({@code cmdline},
	 * {@code environ}) in byte form.
	 * @param file the file
	 * @param skipEmpty whether to drop empty entries (in {@code environ}, a run of NULs
	 * is where a variable was scrubbed; in {@code cmdline}, an empty entry is an
	 * argument)
	 * @return the entries
	 * @throws IOException if the file cannot be read
	 */
	static List<String> readEntries(Path file, boolean skipEmpty) throws IOException {
		return split(Files.readAllBytes(file), skipEmpty);
	}

	/**
	 * Split NUL-separated bytes into entries in byte form.
	 * @param bytes the bytes
	 * @param skipEmpty whether to drop empty entries
	 * @return the entries
	 */
	static List<String> split(byte[] bytes, boolean skipEmpty) {
		List<String> entries = new ArrayList<>();
		int start = 0;
		for (int i = 0; i <= bytes.length; i++) {
			if (i == bytes.length || bytes[i] == 0) {
				if (i > start || (!skipEmpty && i < bytes.length)) {
					entries.add(new String(bytes, start, i - start, BYTES));
				}
				start = i + 1;
			}
		}
		return entries;
	}

	/**
	 * Return the bytes of a string in byte form.
	 * @param value the string, every char 0-255
	 * @return the bytes
	 * @throws IllegalArgumentException if a char is above 255 (the string is text, not
	 * byte form: convert it with {@link #fromText})
	 */
	static byte[] toBytes(String value) {
		byte[] bytes = new byte[value.length()];
		for (int i = 0; i < bytes.length; i++) {
			char c = value.charAt(i);
			if (c > 0xFF) {
				throw new IllegalArgumentException("Not a string in byte form (char U+"
						+ Integer.toHexString(c).toUpperCase(Locale.ROOT) + " at index " + i + "): '" + value + "'");
			}
			bytes[i] = (byte) c;
		}
		return bytes;
	}

	/**
	 * Return text (a configured command, a Java path) in byte form: encoded with the
	 * platform charset, as the JDK would pass it to a process, or with UTF-8 when the
	 * platform charset cannot represent it (a non-ASCII value under {@code LANG=C}).
	 * @param text the text
	 * @return the byte form
	 */
	static String fromText(String text) {
		Charset platform = platformCharset();
		Charset charset = platform.newEncoder().canEncode(text) ? platform : StandardCharsets.UTF_8;
		return new String(text.getBytes(charset), BYTES);
	}

	/**
	 * Return a string in byte form as text, decoded with the platform charset, for
	 * messages and Java file APIs.
	 * @param value the byte form
	 * @return the text (bytes the platform charset cannot decode are replaced)
	 */
	static String toText(String value) {
		return new String(toBytes(value), platformCharset());
	}

	/**
	 * Return a string in byte form as a {@link Path}, when the JDK's path encoding (the
	 * platform charset) gives back exactly its bytes.
	 * @param value the byte form
	 * @return the path, or {@code null} when no {@code Path} names exactly these bytes
	 */
	static Path toPath(String value) {
		byte[] bytes = toBytes(value);
		try {
			String text = platformCharset().newDecoder()
				.onMalformedInput(CodingErrorAction.REPORT)
				.onUnmappableCharacter(CodingErrorAction.REPORT)
				.decode(ByteBuffer.wrap(bytes))
				.toString();
			ByteBuffer back = platformCharset().newEncoder().encode(CharBuffer.wrap(text));
			return (back.equals(ByteBuffer.wrap(bytes))) ? Path.of(text) : null;
		}
		catch (CharacterCodingException | InvalidPathException ex) {
			return null;
		}
	}

	/**
	 * Return the charset the JDK uses for file names, the command line and the
	 * environment ({@code sun.jnu.encoding}, which follows the locale).
	 * @return the charset, UTF-8 if it cannot be told
	 */
	static Charset platformCharset() {
		String name = System.getProperty("sun.jnu.encoding");
		try {
			if (name != null) {
				return Charset.forName(name.toUpperCase(Locale.ROOT));
			}
		}
		catch (RuntimeException ex) {
			// unsupported name: UTF-8 is the best guess on Linux
		}
		return StandardCharsets.UTF_8;
	}

}
