package io.zerodowntime;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import io.zerodowntime.server.DrainTarget;
import io.zerodowntime.server.ListenerRegistry;
import io.zerodowntime.server.ListenerRequest;
import io.zerodowntime.server.ServerListener;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * The one registry of this process's listening sockets, the core's side of the
 * server-adapter SPI ({@link ListenerRegistry}). Every connector asks it for its socket:
 * adopted from a passed descriptor when one was passed for it, otherwise bound anew, and
 * in both cases recorded so it can be passed on to the next generation.
 *
 * <p>
 * Connectors that will start are announced up front with {@link #plan(List)}, so that a
 * passed fd is matched knowing every connector (see {@link ListenerMatcher}); a connector
 * that was not announced is matched on its own when it opens.
 *
 * <p>
 * New connections are accepted only once the accept gate is open: a new generation keeps
 * it shut until it is fully ready, so a release that dies during startup never takes a
 * connection from the generation still serving.
 */
final class Listeners implements ListenerRegistry {

	private static final Log logger = LogFactory.getLog(Listeners.class);

	private final List<InheritedFd> inherited;

	private final ListenerSockets sockets;

	private final Map<String, InheritedFd> planned = new LinkedHashMap<>();

	private final List<InheritedFd> unclaimed;

	private final List<ListenerHandle> open = new ArrayList<>();

	private final Object gate = new Object();

	private final List<Consumer<ListenerHandle>> closeObservers = new CopyOnWriteArrayList<>();

	private boolean accepting;

	Listeners(ListenFds fds, ListenerSockets sockets, boolean accepting) {
		this.inherited = fds.fds();
		this.unclaimed = new ArrayList<>(fds.fds());
		this.sockets = sockets;
		this.accepting = accepting;
	}

	@Override
	public synchronized void plan(List<ListenerRequest> requests) {
		Map<String, InheritedFd> matched = ListenerMatcher.match(List.copyOf(this.unclaimed), requests);
		this.planned.clear();
		this.planned.putAll(matched);
	}

	@Override
	public synchronized ListenerHandle claim(ListenerRequest request, int backlog, SocketConfigurer configurer)
			throws IOException {
		InheritedFd fd = this.planned.remove(request.name());
		if (fd == null || !this.unclaimed.contains(fd)) {
			fd = ListenerMatcher.match(List.copyOf(this.unclaimed), List.of(request)).get(request.name());
		}
		ListenerHandle handle;
		if (fd != null) {
			ListenerSockets.Adopted adopted = this.sockets.adopt(fd);
			this.unclaimed.remove(fd);
			handle = register(request.name(), adopted, true);
			logger.info("Listener " + handle + " adopted from passed fd " + fd.fd());
		}
		else {
			InetSocketAddress address = new InetSocketAddress(request.address(), request.port());
			handle = register(request.name(), this.sockets.bind(address, backlog, configurer::configure), false);
			logger.debug("Listener " + handle + " bound");
			if (handle.fd() < 0) {
				logger.warn("Listener " + handle + " cannot be passed on: its descriptor was not found");
			}
		}
		return handle;
	}

	private ListenerHandle register(String name, ListenerSockets.Adopted adopted, boolean inherited) {
		ListenerHandle[] self = new ListenerHandle[1];
		self[0] = new ListenerHandle(name, adopted.channel(), adopted.localAddress(), adopted.fd(), inherited,
				() -> released(self[0]));
		this.open.add(self[0]);
		return self[0];
	}

	private void released(ListenerHandle handle) {
		synchronized (this) {
			this.open.remove(handle);
		}
		for (Consumer<ListenerHandle> observer : this.closeObservers) {
			try {
				observer.accept(handle);
			}
			catch (RuntimeException ex) {
				logger.warn("Unable to tell that listener " + handle + " was closed: " + ex);
			}
		}
	}

	/**
	 * Call {@code observer} with each listener of this process that is closed for good
	 * (not {@link #suspend() suspended}), after it is closed.
	 * @param observer told of each closed listener
	 */
	void onClosed(Consumer<ListenerHandle> observer) {
		this.closeObservers.add(observer);
	}

	/**
	 * Return the listeners open in this process, in the order they were opened.
	 * @return the open listeners
	 */
	synchronized List<ListenerHandle> open() {
		return List.copyOf(this.open);
	}

	/**
	 * Return whether any listener was passed to this process.
	 * @return whether fds were inherited
	 */
	boolean hasInherited() {
		return !this.inherited.isEmpty();
	}

	/**
	 * Close every passed listening socket that no connector claimed. A passed fd that is
	 * not a listening socket is never closed: it may be one this JVM opened itself.
	 * Called once the application is ready; idempotent.
	 */
	synchronized void closeUnclaimed() {
		for (InheritedFd fd : this.unclaimed) {
			if (fd.usable()) {
				logger.info("Closing passed " + fd.describe() + ": no connector claimed it");
				this.sockets.close(fd.fd());
			}
			else {
				// Not a listener, so maybe not passed at all: a LISTEN_FDS that counts
				// too many
				// names descriptors this JVM opened itself, and closing one would break
				// it.
				logger.warn("Leaving " + fd.describe() + " alone: it is not a listening socket, so it may "
						+ "belong to this JVM (does LISTEN_FDS count more descriptors than were passed?)");
			}
		}
		this.unclaimed.clear();
		this.planned.clear();
	}

	/**
	 * Drain: stop accepting on every listener, wait until the connections already held
	 * are closed (each is closed after the last request read on it is answered) or the
	 * timeout passes, then close at once every connection left, cutting the requests
	 * still running. Interrupted, it stops waiting, closes what is left and keeps the
	 * interrupt.
	 * @param timeout how long to wait for open connections at most
	 * @return what was left at the deadline
	 */
	Drained drain(Duration timeout) {
		List<DrainTarget> targets = open().stream().map(ListenerHandle::drainTarget).filter(Objects::nonNull).toList();
		targets.forEach(DrainTarget::stopAccepting);
		long deadline = System.nanoTime() + timeout.toNanos();
		int remaining = openConnections(targets);
		try {
			while (remaining > 0 && System.nanoTime() < deadline) {
				Thread.sleep(Math.min(50, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
				remaining = openConnections(targets);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			remaining = openConnections(targets);
		}
		if (remaining == 0) {
			return new Drained(0, 0);
		}
		int cut = 0;
		for (DrainTarget target : targets) {
			try {
				cut += target.closeConnections();
			}
			catch (RuntimeException ex) {
				logger.warn("Unable to close the connections of " + target + ": " + ex);
			}
		}
		return new Drained(remaining, cut);
	}

	private static int openConnections(List<DrainTarget> targets) {
		return targets.stream().mapToInt(DrainTarget::openConnections).sum();
	}

	/**
	 * What a drain left at its deadline.
	 *
	 * @param connections the connections still open, all closed then
	 * @param requestsCut how many of them had a request running or unanswered
	 */
	record Drained(int connections, int requestsCut) {

	}

	/**
	 * Stop accepting but keep every listening socket, for a new generation's probation:
	 * shut the accept gate, suspend each listener (a standby copy kept, the channel
	 * closed so a blocked acceptor wakes and waits at the gate), and stop keep-alive on
	 * the connections held, so each later response carries {@code Connection: close}.
	 * Undone by {@link #resume()}; ended for good by {@link #drain}.
	 * @return how many listeners were suspended
	 */
	int suspend() {
		synchronized (this.gate) {
			this.accepting = false;
		}
		int suspended = 0;
		for (ListenerHandle listener : open()) {
			try {
				if (listener.suspend(this.sockets)) {
					suspended++;
				}
			}
			catch (IOException | RuntimeException ex) {
				// it still accepts, at most once more: its acceptor then waits at the
				// shut gate
				logger.warn("Unable to keep a standby copy of listener " + listener + " (" + ex.getMessage()
						+ "); it is not suspended");
			}
			keepAlive(listener, false);
		}
		return suspended;
	}

	/**
	 * Accept again after {@link #suspend()}, at once: each listener's standby copy
	 * becomes its channel, keep-alive is allowed again, and the gate opens.
	 */
	void resume() {
		for (ListenerHandle listener : open()) {
			listener.resume();
			keepAlive(listener, true);
		}
		openAcceptGate();
	}

	private static void keepAlive(ListenerHandle listener, boolean allowed) {
		DrainTarget target = listener.drainTarget();
		if (target == null) {
			return;
		}
		try {
			target.keepAlive(allowed);
		}
		catch (RuntimeException ex) {
			logger.warn("Unable to " + (allowed ? "allow" : "stop") + " keep-alive on listener " + listener + ": "
					+ ex.getMessage());
		}
	}

	/**
	 * Let connectors accept new connections.
	 */
	void openAcceptGate() {
		synchronized (this.gate) {
			this.accepting = true;
			this.gate.notifyAll();
		}
	}

	/**
	 * Return whether connectors may accept.
	 * @return whether the gate is open
	 */
	boolean isAccepting() {
		synchronized (this.gate) {
			return this.accepting;
		}
	}

	@Override
	public void awaitAcceptGate(ServerListener listener) throws InterruptedException {
		synchronized (this.gate) {
			while (!this.accepting && !listener.isClosed()) {
				this.gate.wait(100);
			}
		}
	}

}
