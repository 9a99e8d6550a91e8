package io.zerodowntime.netty;

import java.util.function.Supplier;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.zerodowntime.server.ListenerRegistry;
import reactor.netty.http.HttpResources;
import reactor.netty.resources.LoopResources;

/**
 * The loop resources of a server whose listener is inherited: the NIO event loops of the
 * application's loop resources (the connections accepted from a JDK listening socket are
 * NIO channels, whatever native transport is available), and an
 * {@link InheritedServerChannel} where a listening channel is made. Client use and
 * disposal stay with the application's loop resources.
 */
final class InheritableLoopResources implements LoopResources {

	private final Supplier<LoopResources> loops;

	private final ListenerRegistry registry;

	private final String listenerName;

	/**
	 * Create the loop resources of one server.
	 * @param loops the application's loop resources, asked for when they are first used
	 * (a factory may make them only when the application starts); {@code null} from it
	 * means Reactor Netty's global ones
	 * @param registry the registry the listener is claimed from
	 * @param listenerName the listener's name
	 */
	InheritableLoopResources(Supplier<LoopResources> loops, ListenerRegistry registry, String listenerName) {
		this.loops = loops;
		this.registry = registry;
		this.listenerName = listenerName;
	}

	@Override
	public EventLoopGroup onServer(boolean useNative) {
		return loops().onServer(false);
	}

	@Override
	public EventLoopGroup onServerSelect(boolean useNative) {
		return loops().onServerSelect(false);
	}

	@Override
	public EventLoopGroup onClient(boolean useNative) {
		return loops().onClient(useNative);
	}

	@Override
	@SuppressWarnings("unchecked")
	public <C extends Channel> C onChannel(Class<C> channelType, EventLoopGroup group) {
		if (ServerChannel.class.isAssignableFrom(channelType)) {
			return (C) new InheritedServerChannel(this.registry, this.listenerName);
		}
		return loops().onChannel(channelType, group);
	}

	@Override
	public <C extends Channel> Class<? extends C> onChannelClass(Class<C> channelType, EventLoopGroup group) {
		return loops().onChannelClass(channelType, group);
	}

	@Override
	public boolean daemon() {
		return loops().daemon();
	}

	private LoopResources loops() {
		LoopResources given = (this.loops != null) ? this.loops.get() : null;
		return (given != null) ? given : HttpResources.get();
	}

	@Override
	public String toString() {
		return "InheritableLoopResources[" + this.listenerName + "]";
	}

}
