/**
 * The Jetty adapter of the server-adapter SPI ({@link io.zerodowntime.server}): a
 * {@link io.zerodowntime.jetty.InheritableServerConnector} claims its listening socket
 * from the {@link io.zerodowntime.server.ListenerRegistry}, waits on the accept gate in
 * its acceptor threads, and drains without losing a connection (GOAWAY on HTTP/2,
 * {@code Connection: close} on HTTP/1.1, unread bytes discarded before a close);
 * {@link io.zerodowntime.jetty.InheritableConnectors} puts one in place of every
 * connector of a Jetty server; {@code Http2Drain} sends HTTP/2's GOAWAY, in two steps
 * ({@code Http2GoAway}; both loaded only where Jetty's HTTP/2 is on the class path). No
 * Spring here: the starter's glue gives the registry.
 */
package io.zerodowntime.jetty;
