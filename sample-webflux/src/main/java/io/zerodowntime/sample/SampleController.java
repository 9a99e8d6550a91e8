package io.zerodowntime.sample;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;

import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.ModelAttribute;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The sample app's endpoints, reactive: {@code GET /}, {@code GET /slow?ms=N},
 * {@code GET /child-env} and {@code POST /upload}, with the same answers. Each response
 * names the generation and pid that served it in the {@code X-Generation} and
 * {@code X-Pid} headers, and the release it runs, when {@code sample.release} is set, in
 * {@code X-Release}. Nothing blocks an event loop: {@code /slow} waits on a timer, the
 * upload is digested as it streams in.
 */
@RestController
class SampleController {

	private static final long MAX_SLOW_MILLIS = 600_000;

	private final GenerationInfo generation;

	private final String release;

	SampleController(GenerationInfo generation, @Value("${sample.release:}") String release) {
		this.generation = generation;
		this.release = release;
	}

	@ModelAttribute
	void identify(ServerHttpResponse response) {
		response.getHeaders().set("X-Generation", Integer.toString(this.generation.generation()));
		response.getHeaders().set("X-Pid", Long.toString(this.generation.pid()));
		if (!this.release.isEmpty()) {
			response.getHeaders().set("X-Release", this.release);
		}
	}

	@GetMapping(path = "/", produces = MediaType.TEXT_PLAIN_VALUE)
	String hello() {
		return "Hello from generation " + this.generation.generation() + ", pid " + this.generation.pid() + "\n";
	}

	@GetMapping(path = "/slow", produces = MediaType.TEXT_PLAIN_VALUE)
	Mono<String> slow(@RequestParam(defaultValue = "1000") long ms) {
		if (ms < 0 || ms > MAX_SLOW_MILLIS) {
			throw new IllegalArgumentException("ms must be between 0 and " + MAX_SLOW_MILLIS + ", got " + ms);
		}
		return Mono.delay(Duration.ofMillis(ms))
			.thenReturn("Slept " + ms + " ms in generation " + this.generation.generation() + ", pid "
					+ this.generation.pid() + "\n");
	}

	/**
	 * Show the environment a process started by this application gets, so the checks can
	 * prove that no handover variable reaches it.
	 */
	@GetMapping(path = "/child-env", produces = MediaType.TEXT_PLAIN_VALUE)
	Mono<String> childEnvironment() {
		return Mono.fromCallable(() -> {
			Process env = new ProcessBuilder("env").redirectErrorStream(true).start();
			String output = new String(env.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
			env.waitFor();
			return output;
		}).subscribeOn(Schedulers.boundedElastic());
	}

	@PostMapping(path = "/upload", produces = MediaType.TEXT_PLAIN_VALUE)
	Mono<String> upload(ServerHttpRequest request) throws NoSuchAlgorithmException {
		MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
		long[] length = new long[1];
		// the raw body, whatever its content type, as the servlet sample reads it
		return request.getBody().doOnNext((chunk) -> {
			byte[] bytes = new byte[chunk.readableByteCount()];
			chunk.read(bytes);
			sha256.update(bytes);
			length[0] += bytes.length;
			// released by WebFlux when then() discards it
		}).then(Mono.fromSupplier(() -> length[0] + " " + HexFormat.of().formatHex(sha256.digest()) + "\n"));
	}

}
