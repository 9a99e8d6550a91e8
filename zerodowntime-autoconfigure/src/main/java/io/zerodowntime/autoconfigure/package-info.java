/**
 * The Spring Boot glue, and only glue: the {@code zerodowntime.*} properties become the
 * options of the {@link io.zerodowntime.Upgrader}; Spring's events become its calls (the
 * application starting, configured or failed: {@code StartupListener}; ready:
 * {@code GenerationReadyListener}); closing the application context is the callback the
 * core calls when its generation exits. It also exposes the beans around it: each web
 * server's connectors on the SPI ({@code TomcatAdapterConfiguration},
 * {@code JettyAdapterConfiguration}, {@code ReactorNettyAdapterConfiguration}, imported
 * by the server-neutral {@code ZeroDowntimeAutoConfiguration};
 * {@code SupportedServerCheck} refuses any other server), the endpoint, the application
 * events, the metrics and one failure analyzer. It uses only the public API of the core
 * and the SPI.
 */
package io.zerodowntime.autoconfigure;
