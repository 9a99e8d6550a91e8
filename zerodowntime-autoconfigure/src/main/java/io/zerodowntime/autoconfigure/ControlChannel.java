package io.zerodowntime.autoconfigure;

import io.zerodowntime.ControlSocket;
import io.zerodowntime.ControlSocketException;
import io.zerodowntime.UpgradeListener;
import io.zerodowntime.UpgradeOutcome;
import io.zerodowntime.Upgrader;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.core.Ordered;

/**
 * The control socket ({@code zerodowntime.control-socket}) through a generation's life:
 * bound (beside its path) while the context starts, so a bad path stops generation 1 with
 * a clear message; renamed over its path when the application is ready, before anything
 * tells the previous generation (hence the highest precedence among the ready listeners);
 * bound again if a new generation took the path and then did not take over; closed with
 * the context.
 */
class ControlChannel implements ApplicationListener<ApplicationReadyEvent>, UpgradeListener, Ordered, DisposableBean {

	private final ControlSocket socket;

	ControlChannel(Upgrader upgrader, ZeroDowntimeProperties properties) {
		if (properties.getControlSocket() == null || properties.getControlSocket().toString().isBlank()) {
			throw new ControlSocketException("zerodowntime.control-socket is set but empty.",
					"Set it to the socket's path, e.g. /run/<app>/control.sock (in a systemd unit: check that the "
							+ "variable used in ExecStart= is defined), or remove the property.",
					null);
		}
		this.socket = ControlSocket.open(properties.getControlSocket(), properties.getControlSocketGroup(), upgrader);
		upgrader.addListener(this);
	}

	@Override
	public void onApplicationEvent(ApplicationReadyEvent event) {
		if (event.getApplicationContext().getParent() == null) {
			this.socket.publish();
		}
	}

	@Override
	public void upgradeFailed(UpgradeOutcome outcome) {
		this.socket.republishIfReplaced();
	}

	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE;
	}

	@Override
	public void destroy() {
		this.socket.close();
	}

}
