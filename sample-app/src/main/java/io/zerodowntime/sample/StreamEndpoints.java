package io.zerodowntime.sample;

import java.io.IOException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.websocket.CloseReason;
import jakarta.websocket.DeploymentException;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.MessageHandler;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerContainer;
import jakarta.websocket.server.ServerEndpointConfig;

import org.springframework.boot.web.servlet.ServletContextInitializer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * Long-lived exchanges for the drain checks: a WebSocket at {@code /ws} that greets with
 * {@code generation <n> pid <pid>} and echoes every text message, and a server-sent-event
 * stream at {@code GET /events} that sends {@code generation <n> pid <pid> tick <i>}
 * every 500 ms, forever or for {@code ?count=N} events. The WebSocket is a plain Jakarta
 * WebSocket endpoint on the container Spring Boot sets up for Tomcat (no extra
 * dependency); both end properly when the generation's drain reaches its deadline.
 */
@Configuration(proxyBeanMethods = false)
class StreamEndpoints {

	private static final long MAX_STREAM_MILLIS = 600_000;

	@Bean
	ServletContextInitializer webSocketEndpoint(GenerationInfo generation) {
		// Spring Boot sets up Tomcat's WebSocket container (its WsSci) after the
		// initializers: the endpoint is added once the context is initialized
		return (servletContext) -> servletContext.addListener(new ServletContextListener() {

			@Override
			public void contextInitialized(ServletContextEvent event) {
				addEndpoint(event.getServletContext(), generation);
			}

		});
	}

	private static void addEndpoint(ServletContext servletContext, GenerationInfo generation) {
		if (!(servletContext.getAttribute(ServerContainer.class.getName()) instanceof ServerContainer container)) {
			throw new IllegalStateException("Unable to add the WebSocket endpoint /ws: Tomcat's WebSocket support "
					+ "(tomcat-embed-websocket) is not on the class path");
		}
		ServerEndpointConfig config = ServerEndpointConfig.Builder.create(GenerationSocket.class, "/ws")
			.configurator(new ServerEndpointConfig.Configurator() {

				@Override
				public <T> T getEndpointInstance(Class<T> endpointClass) {
					return endpointClass.cast(new GenerationSocket(generation));
				}

			})
			.build();
		try {
			container.addEndpoint(config);
		}
		catch (DeploymentException ex) {
			throw new IllegalStateException("Unable to add the WebSocket endpoint /ws: " + ex.getMessage(), ex);
		}
	}

	@Bean(destroyMethod = "shutdownNow")
	ScheduledExecutorService eventTicker() {
		return Executors.newSingleThreadScheduledExecutor((task) -> {
			Thread thread = new Thread(task, "sample-event-ticker");
			thread.setDaemon(true);
			return thread;
		});
	}

	/** Greets with the generation, then echoes. */
	public static final class GenerationSocket extends Endpoint {

		private final GenerationInfo generation;

		GenerationSocket(GenerationInfo generation) {
			this.generation = generation;
		}

		@Override
		public void onOpen(Session session, EndpointConfig config) {
			session.addMessageHandler(String.class, (MessageHandler.Whole<String>) (text) -> {
				try {
					session.getBasicRemote().sendText(text);
				}
				catch (IOException ex) {
					// the session is closing
				}
			});
			try {
				session.getBasicRemote()
					.sendText("generation " + this.generation.generation() + " pid " + this.generation.pid());
			}
			catch (IOException ex) {
				// the session is closing
			}
		}

		@Override
		public void onClose(Session session, CloseReason reason) {
		}

	}

	/** The event stream. */
	@RestController
	static class EventStream {

		private final GenerationInfo generation;

		private final ScheduledExecutorService ticker;

		EventStream(GenerationInfo generation, ScheduledExecutorService eventTicker) {
			this.generation = generation;
			this.ticker = eventTicker;
		}

		@GetMapping(path = "/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
		SseEmitter events(@RequestParam(defaultValue = "0") int count) {
			if (count < 0) {
				throw new IllegalArgumentException("count must be 0 (no end) or more, got " + count);
			}
			SseEmitter emitter = new SseEmitter(MAX_STREAM_MILLIS);
			AtomicInteger sent = new AtomicInteger();
			ScheduledFuture<?> ticks = this.ticker.scheduleAtFixedRate(() -> {
				int tick = sent.incrementAndGet();
				try {
					emitter.send("generation " + this.generation.generation() + " pid " + this.generation.pid()
							+ " tick " + tick);
					if (count > 0 && tick >= count) {
						emitter.complete();
					}
				}
				catch (IOException | IllegalStateException ex) {
					emitter.completeWithError(ex);
				}
			}, 0, 500, TimeUnit.MILLISECONDS);
			emitter.onCompletion(() -> ticks.cancel(false));
			emitter.onTimeout(() -> ticks.cancel(false));
			emitter.onError((ex) -> ticks.cancel(false));
			return emitter;
		}

	}

}
