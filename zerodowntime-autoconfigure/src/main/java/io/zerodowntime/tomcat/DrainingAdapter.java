package io.zerodowntime.tomcat;

import java.nio.ByteBuffer;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.servlet.AsyncContext;

import org.apache.catalina.connector.CoyoteAdapter;
import org.apache.coyote.Adapter;
import org.apache.coyote.Request;
import org.apache.coyote.Response;
import org.apache.coyote.http11.Http11InputBuffer;
import org.apache.tomcat.util.net.SocketEvent;

/**
 * Tomcat's adapter with two additions for a drain: it counts the requests being served
 * (those still running at the drain deadline are cut), and once the endpoint drains it
 * answers with {@code Connection: close} only the last request read on a connection: a
 * request pipelined behind it, already in Tomcat's input buffer, is answered too, and
 * nothing after the response that carries the close is read. It also keeps the requests
 * left in asynchronous mode (a server-sent-event stream, a long poll), so that the drain
 * deadline can complete the event streams instead of cutting them.
 */
final class DrainingAdapter implements Adapter {

	private final Adapter delegate;

	private final InheritableNioEndpoint endpoint;

	private final AtomicInteger inService = new AtomicInteger();

	private final Set<Request> asynchronous = ConcurrentHashMap.newKeySet();

	/**
	 * Event streams completed by {@link #completeEventStreams()} whose end is not sent
	 * yet.
	 */
	private final Set<Request> ending = ConcurrentHashMap.newKeySet();

	DrainingAdapter(Adapter delegate, InheritableNioEndpoint endpoint) {
		this.delegate = delegate;
		this.endpoint = endpoint;
	}

	/**
	 * Return how many requests are being served right now.
	 * @return the number of requests in the servlet container
	 */
	int inService() {
		return this.inService.get();
	}

	@Override
	public void service(Request req, Response res) throws Exception {
		this.inService.incrementAndGet();
		try {
			// HTTP/1.1 only: an HTTP/2 stream has no connection header (its connection
			// gets GOAWAY)
			if (this.endpoint.closesConnections() && req.getInputBuffer() instanceof Http11InputBuffer input
					&& !hasPipelinedRequest(req, input)) {
				res.setHeader("Connection", "close");
			}
			this.delegate.service(req, res);
		}
		finally {
			trackAsynchronous(req);
			this.inService.decrementAndGet();
		}
	}

	private void trackAsynchronous(Request req) {
		if (servletRequest(req) instanceof org.apache.catalina.connector.Request request && request.isAsync()) {
			this.asynchronous.add(req);
		}
		else {
			this.asynchronous.remove(req);
			// out of asynchronous mode after a dispatch: the response is finished
			this.ending.remove(req);
		}
	}

	private static Object servletRequest(Request req) {
		return req.getNote(CoyoteAdapter.ADAPTER_NOTES);
	}

	/**
	 * Complete every server-sent-event stream still open ({@code text/event-stream}
	 * responses in asynchronous mode): the response ends properly, and the client
	 * reconnects. Other asynchronous requests are left to be cut: completing them would
	 * send a response that looks whole but is not.
	 * @return how many event streams were completed
	 * @see #endingEventStreams()
	 */
	int completeEventStreams() {
		int completed = 0;
		for (Request req : this.asynchronous) {
			String contentType = req.getResponse().getContentType();
			if (contentType == null || !contentType.startsWith("text/event-stream")
					|| !(servletRequest(req) instanceof org.apache.catalina.connector.Request request)
					|| !request.isAsync()) {
				continue;
			}
			AsyncContext async = request.getAsyncContextInternal();
			if (async == null) {
				continue;
			}
			this.ending.add(req);
			try {
				async.complete();
				completed++;
			}
			catch (IllegalStateException ex) {
				// completed meanwhile
				this.ending.remove(req);
			}
			this.asynchronous.remove(req);
		}
		return completed;
	}

	/**
	 * Return how many of the event streams completed by {@link #completeEventStreams()}
	 * have not sent their end yet: Tomcat finishes a completed response on a container
	 * thread, in a dispatch of its own.
	 * @return the number of event streams still ending
	 */
	int endingEventStreams() {
		return this.ending.size();
	}

	/**
	 * Whether bytes of a further request were read with this one: what is left in
	 * Tomcat's input buffer beyond this request's body. A chunked body is of unknown
	 * length: then this request is the last one answered.
	 */
	static boolean hasPipelinedRequest(Request req, Http11InputBuffer input) {
		ByteBuffer buffered = input.getByteBuffer();
		if (buffered == null || req.getMimeHeaders().getHeader("transfer-encoding") != null) {
			return false;
		}
		long body = Math.max(req.getContentLengthLong(), 0);
		return buffered.remaining() > body;
	}

	@Override
	public boolean prepare(Request req, Response res) throws Exception {
		return this.delegate.prepare(req, res);
	}

	@Override
	public boolean asyncDispatch(Request req, Response res, SocketEvent status) throws Exception {
		this.inService.incrementAndGet();
		try {
			return this.delegate.asyncDispatch(req, res, status);
		}
		finally {
			trackAsynchronous(req);
			this.inService.decrementAndGet();
		}
	}

	@Override
	public void log(Request req, Response res, long time) {
		this.delegate.log(req, res, time);
	}

	@Override
	public void checkRecycled(Request req, Response res) {
		this.delegate.checkRecycled(req, res);
	}

	@Override
	public String getDomain() {
		return this.delegate.getDomain();
	}

}
