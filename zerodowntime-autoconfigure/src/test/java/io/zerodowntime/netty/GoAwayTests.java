package io.zerodowntime.netty;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.DefaultHttp2FrameReader;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link GoAway}: the two-step GOAWAY of a draining HTTP/2 connection, driven
 * frame by frame against Netty's HTTP/2 server codec, as Reactor Netty sets it up,
 * through the drain's entry ({@link ConnectionDrain#goAway}). The streams start at 3: the
 * multiplexer takes a channel without a server parent for a client, and stream 1 for an
 * upgrade's.
 */
class GoAwayTests {

	/** The streams the server has, by id, each until it is answered. */
	private final Map<Integer, Http2StreamChannel> streams = new TreeMap<>();

	private final EmbeddedChannel server = new EmbeddedChannel(Http2FrameCodecBuilder.forServer().build(),
			new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {

				@Override
				protected void initChannel(Http2StreamChannel stream) {
					stream.pipeline().addLast(new ChannelInboundHandlerAdapter() {

						@Override
						public void channelRead(ChannelHandlerContext ctx, Object msg) {
							if (msg instanceof Http2HeadersFrame headers) {
								GoAwayTests.this.streams.put(headers.stream().id(), stream);
							}
							ReferenceCountUtil.release(msg);
						}

					});
				}

			}));

	/** The client's end: writes frames as bytes, reads the server's. */
	private final EmbeddedChannel client = new EmbeddedChannel(new ChannelInboundHandlerAdapter());

	private final DefaultHttp2FrameWriter writer = new DefaultHttp2FrameWriter();

	private final DefaultHttp2FrameReader reader = new DefaultHttp2FrameReader();

	private final List<String> received = new ArrayList<>();

	@AfterEach
	void close() {
		this.server.finishAndReleaseAll();
		this.client.finishAndReleaseAll();
		this.reader.close();
		this.writer.close();
	}

	@Test
	void streamsSentBeforeThePingsAckAreServedThenTheSecondGoawayNamesTheLastAndTheConnectionClosesWhenTheyAreDone()
			throws Exception {
		connectWithStream(3);
		ConnectionDrain.goAway(this.server);
		assertThat(receive()).containsExactly("GOAWAY last=2147483647 NO_ERROR", "PING " + GoAway.PING);
		// sent before the client saw the GOAWAY: still served
		send((ctx) -> this.writer.writeHeaders(ctx, 5, request(), 0, true, ctx.newPromise()));
		assertThat(this.streams).containsOnlyKeys(3, 5);
		send((ctx) -> this.writer.writePing(ctx, true, GoAway.PING, ctx.newPromise()));
		assertThat(receive()).containsExactly("GOAWAY last=5 NO_ERROR");
		assertThat(this.server.pipeline().get(GoAway.NAME)).as("the handler, once its work is done").isNull();
		// sent after the second GOAWAY: refused, as the GOAWAY said
		send((ctx) -> this.writer.writeHeaders(ctx, 7, request(), 0, true, ctx.newPromise()));
		assertThat(this.streams).containsOnlyKeys(3, 5);
		assertThat(this.server.isOpen()).as("open while its streams run").isTrue();
		answer(3);
		assertThat(this.server.isOpen()).as("open while stream 5 runs").isTrue();
		answer(5);
		assertThat(receive()).contains("HEADERS 3 200", "HEADERS 5 200");
		assertThat(this.server.isOpen()).as("closed once its streams are done").isFalse();
	}

	@Test
	void withoutThePingsAckTheSecondGoawayComesAfterTheWait() throws Exception {
		// the embedded loop's clock is the real one plus the advances, unless frozen: a
		// slow moment between the schedule and the check would run the task early
		this.server.freezeTime();
		connectWithStream(3);
		ConnectionDrain.goAway(this.server);
		assertThat(receive()).containsExactly("GOAWAY last=2147483647 NO_ERROR", "PING " + GoAway.PING);
		this.server.advanceTimeBy(GoAway.ACK_WAIT_MILLIS - 1, TimeUnit.MILLISECONDS);
		this.server.runScheduledPendingTasks();
		assertThat(receive()).isEmpty();
		this.server.advanceTimeBy(1, TimeUnit.MILLISECONDS);
		this.server.runScheduledPendingTasks();
		assertThat(receive()).containsExactly("GOAWAY last=3 NO_ERROR");
		answer(3);
		assertThat(this.server.isOpen()).isFalse();
	}

	@Test
	void aConnectionWithoutStreamsIsClosedAfterTheAckAndASecondDrainSendsNothingMore() throws Exception {
		connectWithStream(3);
		answer(3);
		receive();
		ConnectionDrain.goAway(this.server);
		ConnectionDrain.goAway(this.server);
		assertThat(receive()).containsExactly("GOAWAY last=2147483647 NO_ERROR", "PING " + GoAway.PING);
		assertThat(this.server.isOpen()).as("open until the ack: a stream may be on its way").isTrue();
		send((ctx) -> this.writer.writePing(ctx, true, GoAway.PING, ctx.newPromise()));
		assertThat(receive()).containsExactly("GOAWAY last=3 NO_ERROR");
		assertThat(this.server.isOpen()).isFalse();
	}

	private void connectWithStream(int id) throws Exception {
		send((ctx) -> {
			ctx.write(Http2CodecUtil.connectionPrefaceBuf());
			this.writer.writeSettings(ctx, new Http2Settings(), ctx.newPromise());
			this.writer.writeHeaders(ctx, id, request(), 0, true, ctx.newPromise());
		});
		assertThat(this.streams).containsOnlyKeys(id);
		receive();
		send((ctx) -> this.writer.writeSettingsAck(ctx, ctx.newPromise()));
	}

	private static DefaultHttp2Headers request() {
		DefaultHttp2Headers headers = new DefaultHttp2Headers();
		headers.method("GET").path("/").scheme("http").authority("localhost");
		return headers;
	}

	private void answer(int id) {
		this.streams.remove(id)
			.writeAndFlush(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200"), true));
		this.server.runPendingTasks();
	}

	/** Write frames as the client, and hand their bytes to the server. */
	private void send(Frames frames) throws Exception {
		ChannelHandlerContext ctx = this.client.pipeline().firstContext();
		frames.write(ctx);
		this.client.flush();
		ByteBuf bytes;
		while ((bytes = this.client.readOutbound()) != null) {
			this.server.writeInbound(bytes);
		}
		this.server.runPendingTasks();
	}

	/** Read what the server sent since the last call, a line per frame. */
	private List<String> receive() throws Http2Exception {
		this.server.runPendingTasks();
		int before = this.received.size();
		ChannelHandlerContext ctx = this.client.pipeline().firstContext();
		ByteBuf bytes;
		while ((bytes = this.server.readOutbound()) != null) {
			try {
				while (bytes.isReadable()) {
					this.reader.readFrame(ctx, bytes, new Http2FrameAdapter() {

						@Override
						public void onGoAwayRead(ChannelHandlerContext c, int lastStreamId, long errorCode,
								ByteBuf debugData) {
							GoAwayTests.this.received
								.add("GOAWAY last=" + lastStreamId + " " + Http2Error.valueOf(errorCode));
						}

						@Override
						public void onPingRead(ChannelHandlerContext c, long data) {
							GoAwayTests.this.received.add("PING " + data);
						}

						@Override
						public void onHeadersRead(ChannelHandlerContext c, int streamId,
								io.netty.handler.codec.http2.Http2Headers headers, int padding, boolean endStream) {
							GoAwayTests.this.received.add("HEADERS " + streamId + " " + headers.status());
						}

						@Override
						public void onHeadersRead(ChannelHandlerContext c, int streamId,
								io.netty.handler.codec.http2.Http2Headers headers, int streamDependency, short weight,
								boolean exclusive, int padding, boolean endStream) {
							onHeadersRead(c, streamId, headers, padding, endStream);
						}

					});
				}
			}
			finally {
				bytes.release();
			}
		}
		return List.copyOf(this.received.subList(before, this.received.size()));
	}

	@FunctionalInterface
	private interface Frames {

		void write(ChannelHandlerContext ctx) throws Exception;

	}

}
