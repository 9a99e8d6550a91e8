package io.zerodowntime.netty;

import java.util.function.Supplier;
import java.util.function.UnaryOperator;

import io.netty.channel.Channel;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.zerodowntime.server.ListenerRegistry;
import reactor.netty.Connection;
import reactor.netty.ConnectionObserver;
import reactor.netty.NettyPipeline;
import reactor.netty.http.server.HttpServer;
import reactor.netty.resources.LoopResources;

/**
 * The Reactor Netty adapter of the server-adapter SPI ({@code io.zerodowntime.server}):
 * makes an {@link HttpServer} take its listening socket from the process's
 * {@link ListenerRegistry} instead of binding one, and drain when its generation hands
 * over. Applied to the server as it is configured; it uses nothing else of the core.
 *
 * <ul>
 * <li>Where the server binds, its listening channel claims the socket for the listener
 * name given (adopted from a passed descriptor, or bound anew at the server's address and
 * port and recorded so the next generation gets it).</li>
 * <li>A thread of its own waits at the accept gate before each accept: a new generation
 * takes no connection before it is ready.</li>
 * <li>The server runs on the NIO event loops of the loop resources given (native
 * transports cannot adopt a JDK socket), HTTP/1.1 and HTTP/2, with or without TLS.</li>
 * <li>When it drains: the listener (this process's copy) is closed; an HTTP/1.1
 * connection answers every request read, with {@code Connection: close} on the last one,
 * and is closed after it; an HTTP/2 connection gets a GOAWAY and is closed when its
 * streams are done; at the drain deadline the rest are closed, what nobody read discarded
 * first.</li>
 * </ul>
 *
 * The server must not be given other loop resources afterwards ({@code runOn}): they
 * would replace the ones set here.
 *
 * @since 0.1.0
 */
public final class InheritableHttpServer implements UnaryOperator<HttpServer> {

	private final ListenerRegistry registry;

	private final String listenerName;

	private final Supplier<LoopResources> loops;

	/**
	 * Create the adapter for one server.
	 * @param registry the registry the server takes its listening socket from
	 * ({@code Upgrader.listenerRegistry()})
	 * @param listenerName the name the listener is passed under, e.g. {@code http}
	 * @param loops the application's loop resources, asked for when the server starts;
	 * {@code null} from it means Reactor Netty's global ones
	 */
	public InheritableHttpServer(ListenerRegistry registry, String listenerName, Supplier<LoopResources> loops) {
		if (registry == null) {
			throw new IllegalArgumentException("The Reactor Netty server of listener '" + listenerName
					+ "' needs a listener registry: pass upgrader.listenerRegistry()");
		}
		this.registry = registry;
		this.listenerName = listenerName;
		this.loops = loops;
	}

	@Override
	public HttpServer apply(HttpServer server) {
		return server.runOn(new InheritableLoopResources(this.loops, this.registry, this.listenerName), false)
			.childObserve(InheritableHttpServer::observe);
	}

	/**
	 * Called for each request a connection of the server configured: an HTTP/1.1
	 * connection gets its {@link KeepAliveHandler} with its first request; an HTTP/2
	 * stream on a connection the drain reached before its protocol was known sends that
	 * connection a GOAWAY.
	 */
	static void observe(Connection connection, ConnectionObserver.State state) {
		if (state != ConnectionObserver.State.CONFIGURED) {
			return;
		}
		Channel channel = connection.channel();
		Channel parent = channel.parent();
		if (parent instanceof InheritedServerChannel server) {
			if (channel.pipeline().get(KeepAliveHandler.NAME) == null
					&& channel.pipeline().get(NettyPipeline.HttpTrafficHandler) != null) {
				// the request being configured has been read: it is pending
				channel.pipeline()
					.addBefore(NettyPipeline.HttpTrafficHandler, KeepAliveHandler.NAME,
							new KeepAliveHandler(server, 1));
			}
		}
		else if (parent != null && parent.parent() instanceof InheritedServerChannel server
				&& server.drain().draining()) {
			Http2ConnectionHandler http2 = parent.pipeline().get(Http2ConnectionHandler.class);
			if (http2 != null && !http2.connection().goAwaySent()) {
				ConnectionDrain.goAway(parent);
			}
		}
	}

}
