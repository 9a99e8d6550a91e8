package io.zerodowntime.sample;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.ModelAttribute;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The endpoints every check drives: {@code GET /}, {@code GET /slow?ms=N} and
 * {@code POST /upload}. Each response names the generation and pid that served it in the
 * {@code X-Generation} and {@code X-Pid} headers, and the release it runs, when
 * {@code sample.release} is set (e.g. in each release directory's
 * {@code application.properties}), in {@code X-Release}. With
 * {@code sample.server-errors} set, a share of them fails with a 500
 * ({@link ReleaseFaults}).
 */
@RestController
class SampleController {

	private static final long MAX_SLOW_MILLIS = 600_000;

	private final GenerationInfo generation;

	private final String release;

	private final ReleaseFaults faults;

	SampleController(GenerationInfo generation, @Value("${sample.release:}") String release, ReleaseFaults faults) {
		this.generation = generation;
		this.release = release;
		this.faults = faults;
	}

	@ModelAttribute
	void identify(HttpServletResponse response) {
		response.setHeader("X-Generation", Integer.toString(this.generation.generation()));
		response.setHeader("X-Pid", Long.toString(this.generation.pid()));
		if (!this.release.isEmpty()) {
			response.setHeader("X-Release", this.release);
		}
		this.faults.maybeFail();
	}

	@GetMapping(path = "/", produces = MediaType.TEXT_PLAIN_VALUE)
	String hello() {
		return "Hello from generation " + this.generation.generation() + ", pid " + this.generation.pid() + "\n";
	}

	@GetMapping(path = "/slow", produces = MediaType.TEXT_PLAIN_VALUE)
	String slow(@RequestParam(defaultValue = "1000") long ms) throws InterruptedException {
		if (ms < 0 || ms > MAX_SLOW_MILLIS) {
			throw new IllegalArgumentException("ms must be between 0 and " + MAX_SLOW_MILLIS + ", got " + ms);
		}
		Thread.sleep(ms);
		return "Slept " + ms + " ms in generation " + this.generation.generation() + ", pid " + this.generation.pid()
				+ "\n";
	}

	/**
	 * Show the environment a process started by this application gets, so the checks can
	 * prove that no handover variable reaches it.
	 */
	@GetMapping(path = "/child-env", produces = MediaType.TEXT_PLAIN_VALUE)
	String childEnvironment() throws IOException, InterruptedException {
		Process env = new ProcessBuilder("env").redirectErrorStream(true).start();
		String output = new String(env.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
		env.waitFor();
		return output;
	}

	@PostMapping(path = "/upload", produces = MediaType.TEXT_PLAIN_VALUE)
	String upload(HttpServletRequest request) throws IOException, NoSuchAlgorithmException {
		MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
		long length = 0;
		byte[] buffer = new byte[64 * 1024];
		try (InputStream body = request.getInputStream()) {
			int read;
			while ((read = body.read(buffer)) != -1) {
				sha256.update(buffer, 0, read);
				length += read;
			}
		}
		return length + " " + HexFormat.of().formatHex(sha256.digest()) + "\n";
	}

}
