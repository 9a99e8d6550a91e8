package io.zerodowntime.heavy;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.cache.annotation.EnableCaching;

/**
 * A heavier application for the benchmark: Spring Data JPA on an embedded H2 database
 * with twenty entities and their repositories, Thymeleaf pages, bean validation and a
 * cache, and the sample app's endpoints ({@code /}, {@code /slow}, {@code /upload}) and
 * headers ({@code X-Generation}, {@code X-Pid}).
 */
@SpringBootApplication
@EnableCaching
public class HeavyApplication {

	public static void main(String[] args) {
		SpringApplication.run(HeavyApplication.class, args);
	}

}
