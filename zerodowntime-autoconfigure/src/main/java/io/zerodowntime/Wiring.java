package io.zerodowntime;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Builds the upgrader of this process from its options: the one place the real seams are
 * chosen (the JVM's signals and exit, the native launcher, the service manager, the
 * control socket) and this process's startup facts are read.
 */
final class Wiring {

	/** Upgrader's: these lines are the start of the upgrader's own story. */
	private static final Log logger = LogFactory.getLog(Upgrader.class);

	private Wiring() {
	}

	/**
	 * The one place that reads what this process learned from its environment at startup
	 * (its generation, its listeners, its link to the previous generation). Not on
	 * {@link Upgrader}: a framework that lists the upgrader's methods must not load the
	 * native layer where upgrades are not available.
	 */
	static ProcessState process() {
		return ProcessState.get();
	}

	static Upgrader build(Upgrader.Builder options) {
		String unsupported = Platform.current().unsupportedReason();
		if (unsupported != null) {
			logger.warn("zerodowntime.enabled=true, but " + unsupported + ". This application runs "
					+ "as Spring Boot makes it: Tomcat binds its ports itself, no listener is handed over, "
					+ "zerodowntime.pid-file is not written, nothing is sent to a service manager, and an "
					+ "upgrade (SIGHUP, POST /actuator/upgrade, Upgrader.upgrade()) is refused with this reason. "
					+ "Deploy to Linux on x86_64 or aarch64 (glibc) for zero-downtime upgrades, or set zerodowntime.enabled=false "
					+ "on this host to silence this warning.");
			Upgrader upgrader = Upgrader.unsupported(Generation.current(), unsupported);
			upgrader.life(Signals.jvm(), null, null, false);
			return upgrader;
		}
		if (options.controlSocketSet && (options.controlSocket == null || options.controlSocket.toString().isBlank())) {
			throw new ControlSocketException("zerodowntime.control-socket is set but empty.",
					"Set it to the socket's path, e.g. /run/<app>/control.sock (in a systemd unit: check that "
							+ "the variable used in ExecStart= is defined), or remove the property.",
					null);
		}
		// checked before anything is read or bound: a setting that cannot work stops the
		// start
		Probation.Rules rules = new Probation.Rules(options.probation, options.maxErrorRatio, options.minRequests);
		ProcessState process = process();
		Generation generation = process.generation();
		Listeners listeners = process.listeners();
		NextRelease release = NextRelease.ofThisProcess(options.command, generation.number());
		Upgrader upgrader = new Upgrader(generation, new NativeChildLauncher(Os.posix(), release, generation),
				listeners, process.parentLink(), options.upgradeTimeout);
		upgrader.predecessorAllowance(options.drainTimeout.plus(options.exitGrace));
		upgrader.probation(rules);
		if (process.parentLink() == null) {
			// a later generation's parent is PID 1 by design (double fork): only
			// generation 1's counts
			upgrader.unavailable(InitProcess.problem());
		}
		upgrader.checkRelease(release);
		logger.info(
				"Generation " + generation.number() + " (pid " + generation.pid() + ") will start the next generation "
						+ release.describe() + "; working directory from " + release.directory().source());
		PidFile pidFile = (options.pidFile != null) ? new PidFile(options.pidFile) : null;
		upgrader.life(Signals.jvm(), pidFile, new Exit(generation, listeners, pidFile, options.drainTimeout,
				options.exitGrace, options.onExit, Exit.Process.JVM), true);
		new ServiceUnitCheck(System.getenv(), options.pidFile, generation).warnIfUnfit();
		// the service manager must learn the new main pid before this generation drains
		// and exits
		SystemdNotifier notifier = new SystemdNotifier(SdNotify.fromEnvironment(), generation, listeners);
		upgrader.addPart(notifier);
		upgrader.onPredecessorExited(notifier::becameMainProcess);
		if (options.handoverPriority) {
			upgrader.addPart(HandoverPriority.forThisProcess(options.handoverNice));
		}
		if (options.controlSocketSet) {
			upgrader.controlSocket(ControlSocket.open(options.controlSocket, options.controlSocketGroup, upgrader));
		}
		return upgrader;
	}

}
