package io.zerodowntime.autoconfigure;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

import io.zerodowntime.server.ListenerRequest;
import io.zerodowntime.tomcat.InheritableHttp11NioProtocol;
import org.apache.catalina.connector.Connector;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.core.env.Environment;

/**
 * Names every Tomcat connector the application will start and lists what each wants, so
 * the passed listeners are matched knowing all of them: the main connector
 * ({@code http}), additional connectors ({@code http-<port>} unless they set
 * {@code listenerName}) and the management server on its own port ({@code management}).
 */
final class ListenerPlan {

	static final String MAIN = "http";

	static final String MANAGEMENT = "management";

	private ListenerPlan() {
	}

	static List<ListenerRequest> requests(TomcatServletWebServerFactory factory, Environment environment) {
		List<ListenerRequest> requests = new ArrayList<>();
		requests.add(new ListenerRequest(MAIN, factory.getAddress(), Math.max(factory.getPort(), 0)));
		for (Connector connector : factory.getAdditionalConnectors()) {
			if (connector.getProtocolHandler() instanceof InheritableHttp11NioProtocol protocol) {
				requests.add(new ListenerRequest(protocol.getListenerName(), protocol.getAddress(),
						Math.max(connector.getPort(), 0)));
			}
		}
		ListenerRequest management = management(environment, factory.getPort());
		if (management != null) {
			requests.add(management);
		}
		return requests;
	}

	/**
	 * Return what the management server wants when it runs on a port of its own.
	 * @param environment the environment
	 * @param mainPort the main server's configured port
	 * @return the management listener, or {@code null} when it shares the main one
	 */
	static ListenerRequest management(Environment environment, int mainPort) {
		Binder binder = Binder.get(environment);
		Integer managementPort = binder.bind("management.server.port", Integer.class).orElse(null);
		if (managementPort != null && managementPort > 0 && managementPort != mainPort) {
			InetAddress address = binder.bind("management.server.address", InetAddress.class).orElse(null);
			return new ListenerRequest(MANAGEMENT, address, managementPort);
		}
		return null;
	}

	static String additionalName(Connector connector) {
		return MAIN + "-" + connector.getPort();
	}

}
