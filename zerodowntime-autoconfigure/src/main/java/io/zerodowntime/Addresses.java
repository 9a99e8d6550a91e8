package io.zerodowntime;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/** Socket-address formatting and comparison shared by the listener code. */
final class Addresses {

	private Addresses() {
	}

	static String format(InetSocketAddress address) {
		if (address == null) {
			return "?";
		}
		InetAddress host = address.getAddress();
		String text = (host == null) ? address.getHostString() : host.getHostAddress();
		if (host instanceof Inet6Address) {
			int zone = text.indexOf('%');
			text = "[" + ((zone >= 0) ? text.substring(0, zone) : text) + "]";
		}
		return text + ":" + address.getPort();
	}

	static String format(InetAddress address, int port) {
		return (address != null) ? format(new InetSocketAddress(address, port)) : "*:" + port;
	}

	static boolean isWildcard(InetAddress address) {
		return address == null || address.isAnyLocalAddress();
	}

	/**
	 * Whether a and b are the same host, counting an IPv4-mapped IPv6 address as its IPv4
	 * form.
	 */
	static boolean sameHost(InetAddress a, InetAddress b) {
		if (a == null || b == null) {
			return a == b;
		}
		if (a.isAnyLocalAddress() && b.isAnyLocalAddress()) {
			return true;
		}
		return unmap(a).equals(unmap(b));
	}

	static InetAddress unmap(InetAddress address) {
		if (address instanceof Inet6Address) {
			byte[] bytes = address.getAddress();
			boolean mapped = true;
			for (int i = 0; i < 10 && mapped; i++) {
				mapped = bytes[i] == 0;
			}
			if (mapped && bytes[10] == (byte) 0xff && bytes[11] == (byte) 0xff) {
				try {
					return Inet4Address.getByAddress(new byte[] { bytes[12], bytes[13], bytes[14], bytes[15] });
				}
				catch (java.net.UnknownHostException ex) {
					return address;
				}
			}
		}
		return address;
	}

}
