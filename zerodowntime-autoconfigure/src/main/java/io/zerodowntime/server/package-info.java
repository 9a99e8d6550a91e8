/**
 * The server-adapter SPI: what a web server needs to serve on sockets that survive
 * upgrades. The Tomcat adapter ({@code io.zerodowntime.tomcat}) and the Jetty adapter
 * ({@code io.zerodowntime.jetty}) are built on it and on nothing else of the core.
 *
 * <ul>
 * <li>{@link io.zerodowntime.server.ListenerRegistry}: where an adapter claims its
 * listening sockets, announces them up front, and awaits the accept gate; obtained from
 * {@code Upgrader.listenerRegistry()}.</li>
 * <li>{@link io.zerodowntime.server.ListenerRequest}: what one listener wants (name,
 * address, port).</li>
 * <li>{@link io.zerodowntime.server.ServerListener}: a claimed listening socket; closing
 * it closes only this process's copy.</li>
 * <li>{@link io.zerodowntime.server.DrainTarget}: the adapter's half of a drain, attached
 * to each claimed listener.</li>
 * <li>{@link io.zerodowntime.server.UnsupportedServerException}: what an adapter throws
 * for a server or connector it cannot claim a socket for; the starter's failure analyzer
 * reports it with what is supported.</li>
 * </ul>
 *
 * Every type here is thread-safe to call. The contract an adapter keeps is on
 * {@link io.zerodowntime.server.ListenerRegistry}; docs/server-adapters.md walks through
 * the Tomcat adapter.
 */
package io.zerodowntime.server;
