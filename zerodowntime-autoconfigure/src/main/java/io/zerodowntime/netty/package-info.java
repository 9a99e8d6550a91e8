/**
 * The Reactor Netty adapter of the server-adapter SPI ({@code io.zerodowntime.server}):
 * {@link io.zerodowntime.netty.InheritableHttpServer} makes a Reactor Netty
 * {@code HttpServer} serve on a listening socket claimed from the process's listener
 * registry, accept only once the accept gate opens, and drain when its generation hands
 * over. Built on the SPI and on nothing else of the core; no Spring here (the starter's
 * glue applies it to Spring Boot's Netty server factory).
 */
package io.zerodowntime.netty;
