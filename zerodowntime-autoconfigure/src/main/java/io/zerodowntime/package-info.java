/**
 * Zero-downtime upgrades of a running JVM, Spring-free: the running generation hands its
 * listening sockets to a new JVM of the new release, which reports ready before the old
 * one stops accepting, drains and exits.
 *
 * <h2>Invariants</h2>
 * <ul>
 * <li>At any time there are one or two generations, at most one of them not ready. A new
 * generation may crash during startup without harm: its accept gate is shut until it is
 * ready, and the old one serves on.</li>
 * <li>One upgrade at a time: a second one is refused while one runs, and so is one while
 * this generation's own predecessor is still draining.</li>
 * <li>An outcome is {@code SUCCEEDED} only when the new generation reported ready, kept
 * the traffic through its probation, and this one is draining; every other end is
 * {@code REFUSED} (nothing started), {@code FAILED} (this one serves on) or
 * {@code ROLLED_BACK} (the new one lost the traffic during its probation: this one took
 * it back at once and serves on).</li>
 * <li>Through a new generation's probation the old one accepts nothing new but keeps a
 * copy of every listening socket, so it can resume at once; a rolled-back generation
 * drains and exits, and no upgrade starts until it has.</li>
 * <li>A generation's states: {@code STARTING} until ready; {@code SERVING};
 * {@code UPGRADING} while a new one starts (back to {@code SERVING} on failure); then
 * {@code DRAINING} (handed over) or {@code STOPPING} (SIGTERM), after which it exits.
 * {@code UNSUPPORTED} where upgrades are not available: it serves, and refuses every
 * upgrade.</li>
 * <li>{@link io.zerodowntime.Upgrader} is the one owner of a generation's state; every
 * public method is thread-safe. Listeners are told on the thread that takes the
 * step.</li>
 * <li>Static state: this process's startup facts ({@code ProcessState}, read only through
 * {@code Wiring.process()}) and the JVM's SIGHUP trap ({@code HangupSignal}, read only in
 * that class), one per process because environment, descriptors and signal handlers are.
 * Nothing else is static. The Tomcat adapter has none: Tomcat creates its protocol class
 * by name, so the starter sets the registry on each instance. Nor has the Reactor Netty
 * adapter ({@code io.zerodowntime.netty}): it is applied to each {@code HttpServer} with
 * the registry.</li>
 * <li>Nothing here imports Spring or Tomcat; only the OS seam ({@code Native*}) imports
 * jnr.</li>
 * </ul>
 *
 * <h2>Public API</h2> {@code Upgrader} (with {@code Upgrader.Builder}, the options, and
 * {@code Upgrader.Startup}, what an application tells the core before its upgrader
 * exists), {@code UpgradeOutcome}, {@code UpgradeState}, {@code Generation},
 * {@code UpgradeListener}, {@code GenerationStartException} and
 * {@code ListenerHandoverException}. Server adapters use the SPI in
 * {@link io.zerodowntime.server}. Everything else is package-private.
 *
 * <h2>Files</h2>
 * <ul>
 * <li>{@code Upgrader}: a generation's life and the state machine; the public API.</li>
 * <li>{@code Probation}: the old generation's watch over a new one after it is ready, and
 * the verdict (keep the traffic, or roll back).</li>
 * <li>{@code UpgradeOutcome}, {@code UpgradeState}, {@code Generation},
 * {@code UpgradeListener}: the public value types and the listener of the steps.</li>
 * <li>{@code GenerationStartException}, {@code ListenerHandoverException},
 * {@code ControlSocketException}, {@code PidFileException}: why a generation does not
 * start, and the fix.</li>
 * <li>{@code Listeners}, {@code ListenerHandle}, {@code ListenerMatcher},
 * {@code ListenerSockets}, {@code NativeListenerSockets}: the listener registry (the
 * core's side of the SPI), passed fds matched to listeners, adopted or bound.</li>
 * <li>{@code ListenFds}, {@code InheritedFd}, {@code ListenerInspector},
 * {@code SocketInfo}: the descriptors passed to this process, as systemd passes
 * them.</li>
 * <li>{@code ProcessState}: what this process learned from its environment at
 * startup.</li>
 * <li>{@code Handshake}: every name and number of the protocol between generations.</li>
 * <li>{@code ParentLink}: the new generation's handle on the old one.</li>
 * <li>{@code ChildLauncher}, {@code Child}, {@code NativeChildLauncher},
 * {@code NativeChild}, {@code ExitStatus}: the old generation's handle on the new
 * one.</li>
 * <li>{@code NextRelease}, {@code CommandLine}, {@code WorkingDirectory},
 * {@code ServiceWorkingDirectory}, {@code ReleaseFile}, {@code ClassDataArchive},
 * {@code ManagementAgentOptions}, {@code ByteStrings}: what the next generation starts
 * from, and its command, built once per upgrade.</li>
 * <li>{@code Signals}, {@code HangupSignal}, {@code SignalTrap}: SIGHUP (upgrade) and
 * SIGTERM (drain and exit).</li>
 * <li>{@code PidFile}: the PID file, written atomically when ready.</li>
 * <li>{@code Exit}: drain, remove the PID file, close the application, exit; with a
 * deadline.</li>
 * <li>{@code PredecessorDeadline}: the backstop against a predecessor that never
 * exits.</li>
 * <li>{@code SystemdNotifier}, {@code SdNotify}, {@code ServiceUnitCheck}: the service
 * manager told of each step, and the listeners of the main process kept in its fd store
 * for a restart after a crash; a unit that cannot follow an upgrade warned about.</li>
 * <li>{@code ControlSocket}, {@code ControlCommands}: the local control channel.</li>
 * <li>{@code HandoverPriority}, {@code ThreadNice}: the CPU yielded to a starting
 * generation.</li>
 * <li>{@code Platform}, {@code InitProcess}, {@code TrainingRun}: where upgrades cannot
 * work, or must not happen.</li>
 * <li>{@code ClassPreloader}, {@code DeferredManagementAgent}: the upgrade path loaded
 * while the jar is intact; a JMX agent started once the predecessor is gone.</li>
 * <li>The OS seam, one role per interface, each implemented by one {@code Posix*} class:
 * {@code Fds} (descriptors), {@code Sockets} (listener inspection, socket pairs, peer
 * credentials, AF_UNIX), {@code Processes} (spawn, wait, signals, thread nice),
 * {@code ProcessEnvironment} (libc's and the JDK's environment); {@code Os} holds the
 * four; {@code LibC} and {@code PosixBinding} are the libc binding (the only files that
 * import jnr; {@code LibC} is public only because jnr-ffi implements it at run time: it
 * is not API); {@code NativeException}, {@code NotAListenerException} their failures.
 * {@code Addresses}: a small helper.</li>
 * </ul>
 */
package io.zerodowntime;
