package io.zerodowntime.sample;

import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/** Turns a bad {@code ms} parameter into a 400 that says what is wrong. */
@RestControllerAdvice
class BadRequestAdvice {

	@ExceptionHandler(IllegalArgumentException.class)
	@ResponseStatus(HttpStatus.BAD_REQUEST)
	String badRequest(IllegalArgumentException ex) {
		return ex.getMessage() + "\n";
	}

}
