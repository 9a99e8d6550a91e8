package io.zerodowntime.actuate;

import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import org.springframework.mock.web.MockFilterChain;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link UpgradeRequestFilter}.
 */
class UpgradeRequestFilterTests {

	private final UpgradeRequestFilter filter = new UpgradeRequestFilter(() -> "/actuator/upgrade");

	@Test
	void whenAPostCarriesNoContentTypeThenItIsAnswered415WithTheReasonAndNeverReachesTheEndpoint() throws Exception {
		MockHttpServletRequest request = new MockHttpServletRequest("POST", "/actuator/upgrade");
		MockHttpServletResponse response = new MockHttpServletResponse();
		MockFilterChain chain = new MockFilterChain();
		this.filter.doFilter(request, response, chain);
		assertThat(response.getStatus()).isEqualTo(415);
		assertThat(response.getContentAsString()).contains("needs 'Content-Type: application/json' (got none)");
		assertThat(chain.getRequest()).isNull();
	}

	@Test
	void whenAPostCarriesASimpleContentTypeThenItIsAnswered415NamingIt() throws Exception {
		for (String type : new String[] { "text/plain", "application/x-www-form-urlencoded", "multipart/form-data" }) {
			MockHttpServletRequest request = new MockHttpServletRequest("POST", "/actuator/upgrade/");
			request.setContentType(type);
			MockHttpServletResponse response = new MockHttpServletResponse();
			this.filter.doFilter(request, response, new MockFilterChain());
			assertThat(response.getStatus()).as(type).isEqualTo(415);
			assertThat(response.getContentAsString()).contains("(got '" + type + "')");
		}
	}

	@Test
	void whenAPostCarriesJsonThenTheEndpointRunsKnowingTheClientAddress() throws Exception {
		for (String type : new String[] { "application/json", "application/json;charset=UTF-8",
				"application/vnd.spring-boot.actuator.v3+json" }) {
			MockHttpServletRequest request = new MockHttpServletRequest("POST", "/actuator/upgrade");
			request.setContentType(type);
			request.setRemoteAddr("127.0.0.1");
			AtomicReference<String> seen = new AtomicReference<>();
			MockFilterChain chain = new MockFilterChain(new jakarta.servlet.http.HttpServlet() {
				@Override
				protected void service(jakarta.servlet.http.HttpServletRequest req,
						jakarta.servlet.http.HttpServletResponse res) {
					seen.set(UpgradeRequestFilter.currentTrigger());
				}
			});
			this.filter.doFilter(request, new MockHttpServletResponse(), chain);
			assertThat(seen.get()).as(type).isEqualTo("POST /actuator/upgrade from 127.0.0.1");
			assertThat(UpgradeRequestFilter.currentTrigger()).isNull();
		}
	}

	@Test
	void otherRequestsPassUntouched() throws Exception {
		for (MockHttpServletRequest request : new MockHttpServletRequest[] {
				new MockHttpServletRequest("GET", "/actuator/upgrade"), new MockHttpServletRequest("POST", "/upload"),
				new MockHttpServletRequest("POST", "/actuator/upgraded") }) {
			MockFilterChain chain = new MockFilterChain();
			this.filter.doFilter(request, new MockHttpServletResponse(), chain);
			assertThat(chain.getRequest()).isSameAs(request);
		}
	}

}
