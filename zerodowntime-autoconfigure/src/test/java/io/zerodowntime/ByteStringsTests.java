package io.zerodowntime;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Tests for {@link ByteStrings}: every byte survives the way from {@code /proc} to
 * {@code posix_spawn}, whatever the locale.
 */
class ByteStringsTests {

	private final String jnuEncoding = System.getProperty("sun.jnu.encoding");

	@AfterEach
	void restoreTheLocale() {
		System.setProperty("sun.jnu.encoding", this.jnuEncoding);
	}

	@Test
	void everyByteValueSurvivesTheRoundTrip() {
		byte[] all = new byte[255];
		for (int i = 0; i < all.length; i++) {
			all[i] = (byte) (i + 1);
		}
		List<String> entries = ByteStrings.split(all, false);
		assertThat(entries).hasSize(1);
		assertThat(ByteStrings.toBytes(entries.get(0))).containsExactly(all);
	}

	@Test
	void aValueThatIsNotUtf8IsNotReplaced() {
		byte[] environ = "A=1\0WEIRD=ab\u00e9cd\0".getBytes(StandardCharsets.ISO_8859_1);
		List<String> entries = ByteStrings.split(environ, true);
		assertThat(entries).containsExactly("A=1", "WEIRD=ab\u00e9cd");
		assertThat(ByteStrings.toBytes(entries.get(1))).containsExactly('W', 'E', 'I', 'R', 'D', '=', 'a', 'b', 0xE9,
				'c', 'd');
		assertThat(entries.get(1)).doesNotContain("\uFFFD");
	}

	@Test
	void utf8ArgumentsStayTheirUtf8Bytes() {
		byte[] hello = "--app.note=h\u00e9llo".getBytes(StandardCharsets.UTF_8);
		String entry = ByteStrings.split(hello, false).get(0);
		assertThat(ByteStrings.toBytes(entry)).containsExactly(hello);
		assertThat(entry).startsWith("--app.note=").doesNotContain("?");
	}

	@Test
	void emptyArgumentsAreKeptInACommandLineAndDroppedFromAnEnvironment() {
		byte[] cmdline = "java\0-jar\0app.jar\0\0--x=1\0".getBytes(StandardCharsets.ISO_8859_1);
		assertThat(ByteStrings.split(cmdline, false)).containsExactly("java", "-jar", "app.jar", "", "--x=1");
		byte[] scrubbed = "A=1\0\0\0\0\0\0B=2\0".getBytes(StandardCharsets.ISO_8859_1);
		assertThat(ByteStrings.split(scrubbed, true)).containsExactly("A=1", "B=2");
		assertThat(ByteStrings.split("last".getBytes(StandardCharsets.ISO_8859_1), false)).containsExactly("last");
		assertThat(ByteStrings.split(new byte[0], false)).isEmpty();
	}

	@Test
	void textIsNotTakenForBytes() {
		assertThatIllegalArgumentException().isThrownBy(() -> ByteStrings.toBytes("caf\u00e9 \u20ac"))
			.withMessageContaining("U+20AC");
	}

	@Test
	void textIsEncodedWithThePlatformCharset() {
		System.setProperty("sun.jnu.encoding", "UTF-8");
		assertThat(ByteStrings.toBytes(ByteStrings.fromText("h\u00e9llo")))
			.containsExactly("h\u00e9llo".getBytes(StandardCharsets.UTF_8));
		System.setProperty("sun.jnu.encoding", "ISO-8859-1");
		assertThat(ByteStrings.toBytes(ByteStrings.fromText("h\u00e9llo"))).containsExactly('h', 0xE9, 'l', 'l', 'o');
	}

	@Test
	void underLangCTextThatAsciiCannotHoldIsEncodedAsUtf8() {
		System.setProperty("sun.jnu.encoding", "ANSI_X3.4-1968");
		assertThat(ByteStrings.toBytes(ByteStrings.fromText("h\u00e9llo")))
			.containsExactly("h\u00e9llo".getBytes(StandardCharsets.UTF_8));
		assertThat(ByteStrings.fromText("plain")).isEqualTo("plain");
	}

	@Test
	void pathsAreOnlyMadeWhenThePlatformCharsetNamesExactlyTheirBytes() {
		System.setProperty("sun.jnu.encoding", "UTF-8");
		assertThat(ByteStrings.toPath("/opt/app/current")).hasToString("/opt/app/current");
		String utf8 = new String("/opt/caf\u00e9".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
		assertThat(ByteStrings.toPath(utf8)).hasToString("/opt/caf\u00e9");
		assertThat(ByteStrings.toPath("/opt/caf\u00e9")).as("a lone 0xE9 is not UTF-8").isNull();
	}

}
