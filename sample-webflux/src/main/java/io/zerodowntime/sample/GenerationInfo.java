package io.zerodowntime.sample;

import io.zerodowntime.Generation;

import org.springframework.stereotype.Component;

/** Which generation and pid serve this application's responses. */
@Component
class GenerationInfo {

	private final Generation generation = Generation.current();

	int generation() {
		return this.generation.number();
	}

	long pid() {
		return this.generation.pid();
	}

}
