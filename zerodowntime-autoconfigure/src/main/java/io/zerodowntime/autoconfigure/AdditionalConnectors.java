package io.zerodowntime.autoconfigure;

import java.beans.BeanInfo;
import java.beans.IntrospectionException;
import java.beans.Introspector;
import java.beans.PropertyDescriptor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.util.Objects;
import java.util.Set;

import io.zerodowntime.server.UnsupportedServerException;
import io.zerodowntime.tomcat.InheritableHttp11NioProtocol;
import org.apache.catalina.connector.Connector;
import org.apache.coyote.AbstractProtocol;
import org.apache.coyote.ProtocolHandler;
import org.apache.coyote.UpgradeProtocol;
import org.apache.coyote.http11.Http11NioProtocol;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.apache.tomcat.util.net.AbstractEndpoint;
import org.apache.tomcat.util.net.SSLHostConfig;

/**
 * Turns an additional connector the application created with the stock HTTP/1.1 NIO
 * protocol into the same connector with an {@link InheritableHttp11NioProtocol}, copying
 * its settings, so its socket survives upgrades too. A connector with another protocol
 * cannot be handed over and stops startup with a message that says so.
 */
final class AdditionalConnectors {

	private static final Log logger = LogFactory.getLog(AdditionalConnectors.class);

	/** Properties that describe state or wiring rather than configuration. */
	private static final Set<String> NOT_COPIED = Set.of("class", "protocolHandler", "service", "state", "stateName",
			"domain", "objectName", "mbeanName", "protocol", "protocolHandlerClassName", "localPort", "executor",
			"endpoint", "handler", "nameIndex", "name", "listenerName", "adapter", "sslImplementation",
			"upgradeProtocols", "sslHostConfigs", "maxKeepAliveRequests");

	private AdditionalConnectors() {
	}

	static Connector inheritable(Connector connector) {
		ProtocolHandler handler = connector.getProtocolHandler();
		if (handler instanceof InheritableHttp11NioProtocol) {
			return connector;
		}
		if (handler == null || handler.getClass() != Http11NioProtocol.class) {
			throw new UnsupportedServerException(
					"The additional Tomcat connector on port " + connector.getPort() + " uses "
							+ ((handler != null) ? handler.getClass().getName() : "no protocol handler")
							+ ", whose socket cannot be handed over to the next generation.",
					"Only Tomcat's HTTP/1.1 NIO protocol is supported (not APR or NIO2): create it with new "
							+ "Connector(\"" + InheritableHttp11NioProtocol.class.getName()
							+ "\") or with Http11NioProtocol, or set zerodowntime.enabled=false.");
		}
		Connector converted = new Connector(InheritableHttp11NioProtocol.class.getName());
		copy(connector, converted);
		InheritableHttp11NioProtocol protocol = (InheritableHttp11NioProtocol) converted.getProtocolHandler();
		copy(handler, protocol);
		for (SSLHostConfig sslHostConfig : handler.findSslHostConfigs()) {
			protocol.addSslHostConfig(sslHostConfig);
		}
		for (UpgradeProtocol upgradeProtocol : handler.findUpgradeProtocols()) {
			protocol.addUpgradeProtocol(upgradeProtocol);
		}
		protocol.setMaxKeepAliveRequests(configuredMaxKeepAliveRequests((Http11NioProtocol) handler));
		if (handler.getExecutor() != null) {
			protocol.setExecutor(handler.getExecutor());
		}
		protocol.setListenerName(ListenerPlan.additionalName(converted));
		logger.debug("Additional connector on port " + connector.getPort() + " now listens as '"
				+ protocol.getListenerName() + "'");
		return converted;
	}

	/**
	 * Tomcat's getter answers 1 while the endpoint is not bound, whatever was configured,
	 * so the configured value is read from the endpoint itself.
	 */
	private static int configuredMaxKeepAliveRequests(Http11NioProtocol handler) {
		try {
			Method getEndpoint = AbstractProtocol.class.getDeclaredMethod("getEndpoint");
			getEndpoint.setAccessible(true);
			Object endpoint = getEndpoint.invoke(handler);
			Field field = AbstractEndpoint.class.getDeclaredField("maxKeepAliveRequests");
			field.setAccessible(true);
			return field.getInt(endpoint);
		}
		catch (ReflectiveOperationException | RuntimeException ex) {
			logger.debug("Unable to read the configured maxKeepAliveRequests; using Tomcat's default", ex);
			return 100;
		}
	}

	private static void copy(Object from, Object to) {
		for (PropertyDescriptor property : properties(from)) {
			if (NOT_COPIED.contains(property.getName()) || property.getReadMethod() == null
					|| property.getWriteMethod() == null || !isConfiguration(property.getPropertyType())) {
				continue;
			}
			try {
				Object value = property.getReadMethod().invoke(from);
				PropertyDescriptor target = find(to, property.getName());
				if (target != null && target.getWriteMethod() != null && target.getReadMethod() != null
						&& !Objects.equals(value, target.getReadMethod().invoke(to))) {
					target.getWriteMethod().invoke(to, value);
				}
			}
			catch (ReflectiveOperationException | RuntimeException ex) {
				logger.debug("Not copied: " + property.getName() + " (" + ex + ")");
			}
		}
	}

	private static boolean isConfiguration(Class<?> type) {
		return type.isPrimitive() || type == String.class || Number.class.isAssignableFrom(type)
				|| type == Boolean.class || type.isEnum() || type == InetAddress.class || type == Character.class;
	}

	private static PropertyDescriptor[] properties(Object bean) {
		try {
			BeanInfo info = Introspector.getBeanInfo(bean.getClass());
			return info.getPropertyDescriptors();
		}
		catch (IntrospectionException ex) {
			return new PropertyDescriptor[0];
		}
	}

	private static PropertyDescriptor find(Object bean, String name) {
		for (PropertyDescriptor property : properties(bean)) {
			if (property.getName().equals(name)) {
				return property;
			}
		}
		return null;
	}

}
