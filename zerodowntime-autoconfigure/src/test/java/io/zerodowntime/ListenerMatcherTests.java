package io.zerodowntime;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;

import io.zerodowntime.server.ListenerRequest;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class ListenerMatcherTests {

	@Test
	void namesMatchFirst() {
		List<InheritedFd> fds = List.of(fd(3, "management", 9001), fd(4, "http", 9000));
		Map<String, InheritedFd> matched = ListenerMatcher.match(fds,
				List.of(request("http", 9000), request("management", 9001)));
		assertThat(matched.get("http").fd()).isEqualTo(4);
		assertThat(matched.get("management").fd()).isEqualTo(3);
	}

	@Test
	void singleFdGoesToSingleConnectorWhateverItsName() {
		Map<String, InheritedFd> matched = ListenerMatcher.match(List.of(fd(3, null, 7777)),
				List.of(request("http", 0)));
		assertThat(matched.get("http").fd()).isEqualTo(3);
	}

	@Test
	void addressAndPortMatchWhenNamesDoNot() {
		List<InheritedFd> fds = List.of(fd(3, null, 9000), fd(4, null, 9001));
		Map<String, InheritedFd> matched = ListenerMatcher.match(fds,
				List.of(request("http", 9001), request("management", 9000)));
		assertThat(matched.get("http").fd()).isEqualTo(4);
		assertThat(matched.get("management").fd()).isEqualTo(3);
	}

	@Test
	void connectorWithoutMatchBindsAnew() {
		Map<String, InheritedFd> matched = ListenerMatcher.match(List.of(fd(3, "http", 9000)),
				List.of(request("http", 9000), request("management", 9001)));
		assertThat(matched).containsOnlyKeys("http");
	}

	@Test
	void twoFdsWithTheSameNameAreAmbiguous() {
		assertThatExceptionOfType(ListenerHandoverException.class)
			.isThrownBy(() -> ListenerMatcher.match(List.of(fd(3, "http", 9000), fd(4, "http", 9001)),
					List.of(request("http", 0))))
			.withMessageContaining("2 fds are named 'http'")
			.withMessageContaining("fd 3 named 'http': listening on 127.0.0.1:9000")
			.withMessageContaining("connector 'http' on *:0");
	}

	@Test
	void aSocketUnitsFdAndTheFdStoresCopyOfItUnderOneNameAreOneListener() {
		// systemd passes the socket unit's fds first, then the fd store's
		List<InheritedFd> fds = List.of(fd(3, "http", 9000), fd(4, "management", 9001), fd(5, "http", 9000));
		Map<String, InheritedFd> matched = ListenerMatcher.match(fds,
				List.of(request("http", 9000), request("management", 9001)));
		assertThat(matched.get("http").fd()).isEqualTo(3);
		assertThat(matched.get("management").fd()).isEqualTo(4);
		assertThat(matched).hasSize(2);
	}

	@Test
	void aStoredFdIsAdoptedByNameOnAnyPortTheConnectorAllows() {
		Map<String, InheritedFd> matched = ListenerMatcher.match(List.of(fd(3, "management", 9001)),
				List.of(request("http", 9000), request("management", 0)));
		assertThat(matched).containsOnlyKeys("management");
		assertThat(matched.get("management").fd()).isEqualTo(3);
	}

	@Test
	void twoFdsOnTheSamePortAreAmbiguous() {
		InheritedFd v4 = fd(3, null, 9000);
		InheritedFd any = new InheritedFd(4, null, new SocketInfo(4, true, new InetSocketAddress("::", 9000)), null);
		assertThatExceptionOfType(ListenerHandoverException.class)
			.isThrownBy(() -> ListenerMatcher.match(List.of(v4, any),
					List.of(request("http", 9000), request("management", 9001))))
			.withMessageContaining("2 fds could serve connector 'http'");
	}

	@Test
	void namedFdOnAnotherPortThanConfiguredIsContradictory() {
		assertThatExceptionOfType(ListenerHandoverException.class)
			.isThrownBy(() -> ListenerMatcher.match(List.of(fd(3, "http", 9000)), List.of(request("http", 8080))))
			.withMessageContaining("configured for port 8080 but fd 3 passed for it listens on 127.0.0.1:9000")
			.satisfies((ex) -> assertThat(ex.getAction()).contains("set it to 0"));
	}

	@Test
	void namedFdOnAnotherAddressThanConfiguredIsContradictory() throws UnknownHostException {
		ListenerRequest request = new ListenerRequest("http", InetAddress.getByName("::1"), 9000);
		assertThatExceptionOfType(ListenerHandoverException.class)
			.isThrownBy(() -> ListenerMatcher.match(List.of(fd(3, "http", 9000)), List.of(request)))
			.withMessageContaining("configured for address");
	}

	@Test
	void unusableFdChosenForAConnectorIsAnErrorNamingWhatItIs() {
		InheritedFd file = new InheritedFd(3, "http", null, "fd 3 is a regular file, not a socket");
		assertThatExceptionOfType(ListenerHandoverException.class)
			.isThrownBy(() -> ListenerMatcher.match(List.of(file), List.of(request("http", 9000))))
			.withMessageContaining("would take fd 3, but fd 3 is a regular file, not a socket");
	}

	@Test
	void unusableFdNobodyWantsIsNotAnError() {
		InheritedFd udp = new InheritedFd(4, "metrics", null, "fd 4 is a UDP (datagram) socket");
		Map<String, InheritedFd> matched = ListenerMatcher.match(List.of(fd(3, "http", 9000), udp),
				List.of(request("http", 9000)));
		assertThat(matched).containsOnlyKeys("http");
	}

	@Test
	void singleFdNamedForAnotherConnectorIsNotTaken() {
		Map<String, InheritedFd> matched = ListenerMatcher.match(List.of(fd(3, "management", 9001)),
				List.of(request("http", 9000), request("management", 9001)));
		assertThat(matched).containsOnlyKeys("management");
	}

	@Test
	void wildcardConnectorAddressAcceptsAnyAddressOnItsPort() {
		Map<String, InheritedFd> matched = ListenerMatcher.match(List.of(fd(3, null, 9000), fd(4, null, 9001)),
				List.of(request("http", 9000), request("management", 9001)));
		assertThat(matched).containsOnlyKeys("http", "management");
	}

	private static InheritedFd fd(int fd, String name, int port) {
		return new InheritedFd(fd, name, new SocketInfo(fd, false, new InetSocketAddress("127.0.0.1", port)), null);
	}

	private static ListenerRequest request(String name, int port) {
		return new ListenerRequest(name, null, port);
	}

}
