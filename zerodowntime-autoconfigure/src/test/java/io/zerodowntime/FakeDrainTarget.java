package io.zerodowntime;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import io.zerodowntime.server.DrainTarget;
import io.zerodowntime.server.ListenerRequest;

/**
 * A server's side of a drain, scripted: its connections close by themselves after a
 * number of polls, or never; at the deadline it reports how many requests it cut. It
 * records what the core asks of it, keep-alive switches included.
 */
final class FakeDrainTarget implements DrainTarget {

	final List<String> calls = Collections.synchronizedList(new ArrayList<>());

	private final int open;

	private final int closedAfterPolls;

	private final int runningAtDeadline;

	private final AtomicInteger polls = new AtomicInteger();

	private volatile boolean closed;

	/**
	 * @param open connections open when the drain starts
	 * @param closedAfterPolls polls after which they are all closed; -1 for never
	 * @param runningAtDeadline requests cut if the deadline comes
	 */
	FakeDrainTarget(int open, int closedAfterPolls, int runningAtDeadline) {
		this.open = open;
		this.closedAfterPolls = closedAfterPolls;
		this.runningAtDeadline = runningAtDeadline;
	}

	@Override
	public synchronized void stopAccepting() {
		this.calls.add("stopAccepting");
	}

	@Override
	public int openConnections() {
		int poll = this.polls.incrementAndGet();
		if (this.closed || (this.closedAfterPolls >= 0 && poll > this.closedAfterPolls)) {
			return 0;
		}
		return this.open;
	}

	@Override
	public void keepAlive(boolean allowed) {
		this.calls.add("keepAlive " + allowed);
	}

	@Override
	public synchronized int closeConnections() {
		this.calls.add("closeConnections");
		this.closed = true;
		return this.runningAtDeadline;
	}

	/**
	 * A registry with one listener (an unbound channel, never accepted from) that has
	 * this target attached.
	 * @return the registry
	 * @throws IOException never, in practice
	 */
	Listeners attachedToOneListener() throws IOException {
		ServerSocketChannel channel = ServerSocketChannel.open();
		Listeners listeners = new Listeners(ListenFds.parse(Map.of(), 1, (fd) -> null), new ListenerSockets() {

			@Override
			public Adopted adopt(InheritedFd fd) {
				throw new AssertionError("nothing passed");
			}

			@Override
			public Adopted bind(InetSocketAddress address, int backlog, SocketConfigurer configurer) {
				return new Adopted(channel, new InetSocketAddress("127.0.0.1", 8080), 42);
			}

			@Override
			public Adopted duplicate(Adopted original) {
				return original;
			}

			@Override
			public void close(int fd) {
			}

		}, true);
		listeners.claim(new ListenerRequest("http", null, 8080), 100, (socket) -> {
		}).attach(this);
		return listeners;
	}

}
