package io.zerodowntime;

import java.io.IOException;
import java.time.Duration;
import java.util.Properties;

import com.sun.tools.attach.VirtualMachine;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Starts the JMX agent of a generation whose {@code com.sun.management.jmxremote.*}
 * options were deferred ({@link ManagementAgentOptions}), once its predecessor has exited
 * and released the port: the options become system properties again, as on the
 * predecessor's command line, and the agent is started the supported way, the attach
 * API's {@code startManagementAgent} (what {@code jcmd <pid> ManagementAgent.start}
 * does), with the local connector that the JVM starts along with it.
 */
final class DeferredManagementAgent {

	private static final Log logger = LogFactory.getLog(DeferredManagementAgent.class);

	/** How long the port may stay taken after the predecessor's exit was seen. */
	private static final Duration PORT_WAIT = Duration.ofSeconds(20);

	private DeferredManagementAgent() {
	}

	/**
	 * Start the deferred JMX agent of this JVM, if any; failures are logged.
	 * @param describe who this generation is, for the log
	 * @param predecessorPid the predecessor that has exited
	 */
	static void startIfDeferred(String describe, long predecessorPid) {
		Properties deferred = ManagementAgentOptions.deferred(System.getProperties());
		if (deferred.isEmpty()) {
			return;
		}
		String port = deferred.getProperty(ManagementAgentOptions.JMX_PORT,
				"(from " + deferred.getProperty(ManagementAgentOptions.CONFIG_FILE, "the configuration file") + ")");
		for (String name : deferred.stringPropertyNames()) {
			System.setProperty(name, deferred.getProperty(name));
		}
		Properties agent = new Properties();
		for (String name : new String[] { ManagementAgentOptions.JMX_PORT, ManagementAgentOptions.CONFIG_FILE }) {
			if (deferred.getProperty(name) != null) {
				agent.setProperty(name, deferred.getProperty(name));
			}
		}
		long deadline = System.nanoTime() + PORT_WAIT.toNanos();
		while (true) {
			try {
				Attach.startManagementAgent(agent);
				logger.info(describe + ": started the JMX agent on port " + port
						+ " (com.sun.management.jmxremote.* options of the command line, deferred until the previous "
						+ "generation, pid " + predecessorPid + ", had exited and released the port)");
				return;
			}
			catch (Exception | LinkageError ex) {
				if (System.nanoTime() - deadline < 0 && String.valueOf(ex.getMessage()).contains("in use")) {
					sleep(250);
					continue;
				}
				logger.warn(describe + ": unable to start the JMX agent on port " + port + ": " + ex
						+ "; this generation serves without it. Start it with jcmd " + ProcessHandle.current().pid()
						+ " ManagementAgent.start jmxremote.port=" + port + " ...");
				return;
			}
		}
	}

	private static void sleep(long millis) {
		try {
			Thread.sleep(millis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	/**
	 * The attach API, in a class of its own: a runtime without {@code jdk.attach} fails
	 * here only.
	 */
	private static final class Attach {

		static void startManagementAgent(Properties agent) throws Exception {
			VirtualMachine self = VirtualMachine.attach(Long.toString(ProcessHandle.current().pid()));
			try {
				self.startManagementAgent(agent);
				// the JVM starts the local connector too when the options are on its
				// command line
				self.startLocalManagementAgent();
			}
			finally {
				try {
					self.detach();
				}
				catch (IOException ex) {
					// the agent is started; the attach connection is gone anyway
				}
			}
		}

	}

}
