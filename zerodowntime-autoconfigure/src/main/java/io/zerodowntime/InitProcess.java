package io.zerodowntime;

/**
 * Why a generation that is PID 1 of its PID namespace (the entrypoint of a container,
 * {@code java -jar app.jar} with no init in front) cannot be upgraded: the new generation
 * is started through a double fork, so it is re-parented to PID 1, that is to this very
 * JVM, which never reaps it; and when PID 1 exits after the handover, the kernel kills
 * every process of the namespace, the new generation with it. Upgrades are refused there,
 * with the fix: an init process in front of the JVM.
 */
final class InitProcess {

	private InitProcess() {
	}

	/**
	 * Return why a process cannot upgrade, or {@code null} if it can.
	 * @param pid its pid in its own PID namespace
	 * @return the reason, or {@code null}
	 */
	static String problem(long pid) {
		if (pid != 1) {
			return null;
		}
		return "this JVM is PID 1 of its PID namespace (the container's entrypoint): a new generation would be "
				+ "killed by the kernel when this one exits after the handover. Run an init process as PID 1 that "
				+ "starts the JVM: docker run --init, tini or dumb-init as the image's ENTRYPOINT "
				+ "(ENTRYPOINT [\"tini\", \"--\", \"java\", \"-jar\", \"app.jar\"]), or shareProcessNamespace: true "
				+ "in a Kubernetes pod";
	}

}
