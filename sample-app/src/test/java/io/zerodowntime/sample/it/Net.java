package io.zerodowntime.sample.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Ports and listening sockets as the kernel sees them.
 */
public final class Net {

	private static final String TCP_LISTEN = "0A";

	private Net() {
	}

	/**
	 * Return a port that was free on 127.0.0.1 a moment ago: bound to port 0, then
	 * closed.
	 * @return the port
	 */
	public static int freePort() {
		try (ServerSocket socket = new ServerSocket()) {
			socket.setReuseAddress(false);
			socket.bind(new InetSocketAddress(InetAddress.getByName(Http.HOST), 0), 1);
			return socket.getLocalPort();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * Return distinct free ports.
	 * @param count how many
	 * @return the ports
	 */
	public static int[] freePorts(int count) {
		Set<Integer> ports = new HashSet<>();
		int[] result = new int[count];
		for (int i = 0; i < count; i++) {
			int port;
			do {
				port = freePort();
			}
			while (!ports.add(port));
			result[i] = port;
		}
		return result;
	}

	/**
	 * Return every TCP socket in the LISTEN state on a port, IPv4 and IPv6, from
	 * {@code /proc/net/tcp} and {@code /proc/net/tcp6}.
	 * @param port the local port
	 * @return the listening sockets
	 */
	public static List<Listener> listeners(int port) {
		List<Listener> listeners = new ArrayList<>();
		for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
			Path path = Path.of(table);
			if (!Files.exists(path)) {
				continue;
			}
			List<String> lines;
			try {
				lines = Files.readAllLines(path);
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
			for (String line : lines.subList(1, lines.size())) {
				String[] fields = line.trim().split("\\s+");
				// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout
				// inode
				String local = fields[1];
				int colon = local.lastIndexOf(':');
				int localPort = Integer.parseInt(local.substring(colon + 1), 16);
				if (localPort == port && TCP_LISTEN.equals(fields[3])) {
					listeners.add(new Listener(table, local.substring(0, colon), localPort, Long.parseLong(fields[9])));
				}
			}
		}
		return listeners;
	}

	/**
	 * A listening socket.
	 *
	 * @param table the {@code /proc/net} table it was found in
	 * @param hexAddress its local address as the table shows it
	 * @param port its local port
	 * @param inode its socket inode, as in {@code socket:[inode]} under
	 * {@code /proc/<pid>/fd}
	 */
	public record Listener(String table, String hexAddress, int port, long inode) {

	}

}
