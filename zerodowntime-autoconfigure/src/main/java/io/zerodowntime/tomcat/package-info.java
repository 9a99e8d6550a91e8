/**
 * The Tomcat adapter of the server-adapter SPI ({@link io.zerodowntime.server}): an
 * HTTP/1.1 NIO protocol whose endpoint claims its listening socket from the
 * {@link io.zerodowntime.server.ListenerRegistry}, waits on the accept gate, and drains
 * without losing a connection: {@code DrainingAdapter} answers every request read and
 * closes after the last one, {@code DiscardingHandler} closes with a FIN rather than a
 * reset, and the endpoint closes what is left at the drain deadline, after it completed
 * the server-sent-event streams and ran the deadline actions (the starter's closes
 * WebSocket sessions with 1001). HTTP/2 connections get a GOAWAY when the drain starts
 * (Tomcat's graceful close pauses them). No static state: Tomcat creates the protocol
 * class by name, so the registry is set on each instance
 * ({@link io.zerodowntime.tomcat.InheritableHttp11NioProtocol#setListenerRegistry}).
 */
package io.zerodowntime.tomcat;
