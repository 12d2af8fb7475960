package dev.s3c.gateway.keys;

import static org.assertj.core.api.Assertions.assertThat;

import dev.s3c.gateway.keys.ApiSecurity.Access;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpMethod;
import org.springframework.http.server.PathContainer;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;

/** Which paths need which key, and where a presented key is checked (the chain itself: PipelineContract). */
class ApiSecurityPathsTest {

    @Test
    void theApiNeedsATenantsKeyTheTenantsAdministrationAnAdminsAndTheRestIsOpen() {
        assertThat(access("/api/functions/f-1/execute")).isEqualTo(Access.TENANT);
        assertThat(access("/api/functions")).isEqualTo(Access.TENANT);
        assertThat(access("/api/echo")).isEqualTo(Access.TENANT);
        assertThat(access("/api/schedules/next")).isEqualTo(Access.TENANT);
        assertThat(access("/api/functions/f-1/versions/2/restore")).isEqualTo(Access.TENANT);
        assertThat(access("/api")).isEqualTo(Access.TENANT);
        assertThat(access("/api/tenants")).isEqualTo(Access.ADMIN);
        assertThat(access("/api/tenants/globex/keys")).isEqualTo(Access.ADMIN);
        assertThat(access("/api/tenants/me")).isEqualTo(Access.ANY_KEY);
        assertThat(access("/api/session")).isEqualTo(Access.OPEN);
        assertThat(access("/api/openapi")).isEqualTo(Access.OPEN);
        assertThat(access("/api/openapi.yaml")).isEqualTo(Access.OPEN);
        assertThat(access("/api/docs/index.html")).isEqualTo(Access.OPEN);
        assertThat(access("/")).isEqualTo(Access.OPEN);
        assertThat(access("/index.html")).isEqualTo(Access.OPEN);
        assertThat(access("/apis")).isEqualTo(Access.OPEN);
        // as Spring Security's path matchers had it: a trailing slash is another path, and paths are case-sensitive
        // (like the routes: /API/functions is no route either)
        assertThat(access("/api/")).isEqualTo(Access.TENANT);
        assertThat(access("/api/tenants/me/")).isEqualTo(Access.ADMIN);
        assertThat(access("/API/functions")).isEqualTo(Access.OPEN);
    }

    @Test
    void aKeyIsCheckedOnApiCallsButNotOnSigningInOrOutNorOnOpenRoutes() {
        assertThat(checksKey(HttpMethod.POST, "/api/functions/f-1/execute")).isTrue();
        assertThat(checksKey(HttpMethod.GET, "/api/tenants/me")).isTrue();
        assertThat(checksKey(HttpMethod.GET, "/api/session")).isTrue();
        assertThat(checksKey(HttpMethod.POST, "/api/session")).isFalse();
        assertThat(checksKey(HttpMethod.DELETE, "/api/session")).isFalse();
        assertThat(checksKey(HttpMethod.GET, "/api/openapi")).isFalse();
        assertThat(checksKey(HttpMethod.GET, "/api/docs/index.html")).isFalse();
        assertThat(checksKey(HttpMethod.GET, "/")).isFalse();
        assertThat(checksKey(HttpMethod.GET, "/app.js")).isFalse();
    }

    private static Access access(String path) {
        return ApiSecurity.access(PathContainer.parsePath(path));
    }

    private static boolean checksKey(HttpMethod method, String path) {
        return ApiSecurity.checksKey(MockServerHttpRequest.method(method, path).build());
    }
}
