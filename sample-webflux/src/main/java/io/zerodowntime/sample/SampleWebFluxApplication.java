package io.zerodowntime.sample;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * The sample app's endpoints and headers on WebFlux and Reactor Netty: a reactive web
 * application that upgrades itself to a new release without refusing or dropping a single
 * request.
 */
@SpringBootApplication
public class SampleWebFluxApplication {

	public static void main(String[] args) {
		SpringApplication.run(SampleWebFluxApplication.class, args);
	}

}
