package io.zerodowntime;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import io.zerodowntime.server.ListenerRequest;

/**
 * Decides which passed fd each connector takes: by name first ({@code LISTEN_FDNAMES}),
 * then a single fd for a single connector, then the exact address and port. Several fds
 * of one name on one address are copies of one listener (systemd passes a socket unit's
 * fd and the same socket from its fd store that way): the first is taken. Anything
 * ambiguous or contradictory is a {@link ListenerHandoverException} that lists every fd
 * passed and every connector that wanted one.
 */
final class ListenerMatcher {

	private ListenerMatcher() {
	}

	/**
	 * Match passed fds to connectors.
	 * @param fds the passed fds
	 * @param requests every connector that will listen, in start order
	 * @return the fd each matched connector takes, by connector name; unmatched
	 * connectors bind anew
	 */
	static Map<String, InheritedFd> match(List<InheritedFd> fds, List<ListenerRequest> requests) {
		Map<String, InheritedFd> matched = new LinkedHashMap<>();
		List<InheritedFd> free = new ArrayList<>(fds);
		for (ListenerRequest request : requests) {
			List<InheritedFd> named = free.stream().filter((fd) -> request.name().equals(fd.name())).toList();
			if (named.size() > 1 && copiesOfOneListener(named)) {
				// systemd passes a socket unit's fd and its fd store's copy of the same
				// listener under one name: take the first, the copies are closed as
				// unclaimed
				named = List.of(named.get(0));
			}
			if (named.size() > 1) {
				throw failure(fds, requests, named.size() + " fds are named '" + request.name() + "'",
						"Give each passed listener its own name.");
			}
			if (named.size() == 1) {
				take(matched, free, request, named.get(0), fds, requests);
			}
		}
		List<ListenerRequest> unmatched = requests.stream().filter((r) -> !matched.containsKey(r.name())).toList();
		if (fds.size() == 1 && requests.size() == 1 && unmatched.size() == 1 && free.size() == 1
				&& !nameForOther(free.get(0), requests)) {
			take(matched, free, unmatched.get(0), free.get(0), fds, requests);
			return matched;
		}
		for (ListenerRequest request : unmatched) {
			if (request.port() == 0) {
				continue;
			}
			List<InheritedFd> sameAddress = free.stream()
				.filter((fd) -> fd.name() == null || !isRequested(fd.name(), requests))
				.filter((fd) -> fd.usable() && fd.localAddress().getPort() == request.port()
						&& (Addresses.isWildcard(request.address())
								|| Addresses.sameHost(request.address(), fd.localAddress().getAddress())))
				.toList();
			if (sameAddress.size() > 1) {
				throw failure(fds, requests,
						sameAddress.size() + " fds could serve " + describe(request) + " and none is named '"
								+ request.name() + "'",
						"Name the passed listeners after the connectors (LISTEN_FDNAMES, FileDescriptorName=) or "
								+ "set server.address so that only one matches.");
			}
			if (sameAddress.size() == 1) {
				take(matched, free, request, sameAddress.get(0), fds, requests);
			}
		}
		return matched;
	}

	/**
	 * Whether fds sharing a name are copies of one listening socket: all usable and bound
	 * to the same address and port (two listening sockets cannot be, short of
	 * {@code SO_REUSEPORT}).
	 */
	private static boolean copiesOfOneListener(List<InheritedFd> named) {
		InetSocketAddress first = named.get(0).localAddress();
		return named.stream().allMatch((fd) -> fd.usable() && fd.localAddress().equals(first));
	}

	private static boolean nameForOther(InheritedFd fd, List<ListenerRequest> requests) {
		return fd.name() != null && isRequested(fd.name(), requests);
	}

	private static boolean isRequested(String name, List<ListenerRequest> requests) {
		return requests.stream().anyMatch((r) -> r.name().equals(name));
	}

	private static void take(Map<String, InheritedFd> matched, List<InheritedFd> free, ListenerRequest request,
			InheritedFd fd, List<InheritedFd> fds, List<ListenerRequest> requests) {
		if (!fd.usable()) {
			throw failure(fds, requests, describe(request) + " would take fd " + fd.fd() + ", but " + fd.problem(),
					"Pass a listening TCP socket for it (check the .socket unit or the command that starts this "
							+ "process), or stop passing that fd.");
		}
		if (request.port() != 0 && fd.localAddress().getPort() != request.port()) {
			throw failure(fds, requests,
					describe(request) + " is configured for port " + request.port() + " but fd " + fd.fd()
							+ " passed for it listens on " + Addresses.format(fd.localAddress()),
					"Make the configured port match the passed socket (or set it to 0 to take whatever is passed).");
		}
		if (!Addresses.isWildcard(request.address())
				&& !Addresses.sameHost(request.address(), fd.localAddress().getAddress())) {
			throw failure(fds, requests,
					describe(request) + " is configured for address " + request.address().getHostAddress() + " but fd "
							+ fd.fd() + " passed for it listens on " + Addresses.format(fd.localAddress()),
					"Make the configured address match the passed socket, or remove it.");
		}
		matched.put(request.name(), fd);
		free.remove(fd);
	}

	static ListenerHandoverException failure(List<InheritedFd> fds, List<ListenerRequest> requests, String problem,
			String action) {
		String passed = fds.isEmpty() ? "  (none)"
				: fds.stream().map((fd) -> "  " + fd.describe()).collect(Collectors.joining("\n"));
		String wanted = requests.isEmpty() ? "  (none)"
				: requests.stream().map((r) -> "  " + describe(r)).collect(Collectors.joining("\n"));
		return new ListenerHandoverException("Unable to match the passed listeners to the connectors: " + problem
				+ ".\n\nListeners passed:\n" + passed + "\n\nConnectors:\n" + wanted, action);
	}

	static String describe(ListenerRequest request) {
		return "connector '" + request.name() + "' on " + Addresses.format(request.address(), request.port());
	}

}
