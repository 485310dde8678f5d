package org.mailpin.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.mailpin.director.Backend;
import org.mailpin.director.BackendPorts;
import org.mailpin.gateway.config.GatewayConfig.RoundcubeInstance;
import org.mailpin.gateway.config.GatewayConfig.WebSection;
import org.mailpin.gateway.metrics.GatewayMetrics;
import org.mailpin.gateway.metrics.Samples;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;

/**
 * Tests the redirect and cookie rewriting of {@link ResponseFilter} and the headers it removes.
 * The exchanges have no connection and the filter has no director, so these tests leave out
 * responses to a successful login or a logout and responses that carry a request token.
 */
class ResponseFilterTest {

    private static final WebSection WEB = new WebSection("127.0.0.1", 8080, "/mail/",
            List.of("127.0.0.1:8080", "localhost:8080"), Path.of("/etc/mailpin/secret"), false,
            35L * 1024 * 1024, Duration.ofMinutes(30), "roundcube_sessid", Duration.ofSeconds(120),
            List.of(new RoundcubeInstance("rc1", URI.create("http://127.0.0.21:8081/")),
                    new RoundcubeInstance("rc2", URI.create("http://127.0.0.22:8082/"))));

    private static final InstantSource CLOCK = InstantSource.fixed(Instant.ofEpochSecond(1_765_000_000L));

    private final ResponseFilter filter = filter(GatewayHandler.PinState.NONE);

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "/?_task=mail, /mail/?_task=mail",
            "/, /mail/",
            "/mail/?_task=mail, /mail/?_task=mail",
            "./?_task=login, ./?_task=login",
            "?_task=login&_err=mailpin, ?_task=login&_err=mailpin",
            "http://127.0.0.21:8081/?_task=mail, /mail/?_task=mail",
            "http://127.0.0.22:8082/mail/?_task=settings, /mail/?_task=settings",
            "HTTP://127.0.0.21:8081, /mail/",
            "https://127.0.0.21:8081/skins/elastic/, /mail/skins/elastic/",
            "https://roundcube.net/support, https://roundcube.net/support",
            "http://127.0.0.21:9999/, http://127.0.0.21:9999/",
            "http://localhost:8080/mail/?_task=mail, http://localhost:8080/mail/?_task=mail",
    })
    void publicLocation(String location, String expected) {
        assertEquals(expected, filter.publicLocation(location));
    }

    @Test
    void protocolRelativeLocationStaysUnderPrefix() {
        String location = filter.publicLocation("//evil.example/steal");

        assertTrue(location.startsWith("/mail/"), location);
    }

    @Test
    void rootPrefixKeepsAbsolutePath() {
        ResponseFilter rootFilter = new ResponseFilter(withPrefix("/"), null, null, CLOCK, "rc1",
                new ResponseFilter.Context(GatewayHandler.PinState.NONE, null, false), new GatewayMetrics());

        assertEquals("/?_task=mail", rootFilter.publicLocation("http://127.0.0.21:8081/?_task=mail"));
    }

    @Test
    void beforeCommitRewritesLocation() {
        HttpServerExchange exchange = new HttpServerExchange(null);
        exchange.getResponseHeaders().put(Headers.LOCATION, "http://127.0.0.21:8081/?_task=mail");

        filter.beforeCommit(exchange);

        assertEquals("/mail/?_task=mail", exchange.getResponseHeaders().getFirst(Headers.LOCATION));
    }

    @Test
    void beforeCommitMovesCookiePathIntoPrefix() {
        HttpServerExchange exchange = new HttpServerExchange(null);
        exchange.getResponseHeaders().add(Headers.SET_COOKIE, "roundcube_sessid=abc; path=/; HttpOnly");

        filter.beforeCommit(exchange);

        assertEquals(List.of("roundcube_sessid=abc; Path=/mail/; HttpOnly"), setCookies(exchange));
    }

    @Test
    void beforeCommitAddsMissingCookiePath() {
        HttpServerExchange exchange = new HttpServerExchange(null);
        exchange.getResponseHeaders().add(Headers.SET_COOKIE, "roundcube_cookies=enabled; expires=Thu, 01 Jan 2037 00:00:00 GMT");

        filter.beforeCommit(exchange);

        assertEquals(List.of("roundcube_cookies=enabled; expires=Thu, 01 Jan 2037 00:00:00 GMT; Path=/mail/"),
                setCookies(exchange));
    }

    @Test
    void beforeCommitKeepsCookiePathInsidePrefix() {
        HttpServerExchange exchange = new HttpServerExchange(null);
        exchange.getResponseHeaders().add(Headers.SET_COOKIE, "roundcube_sessauth=x; Path=/mail/; Secure; HttpOnly");

        filter.beforeCommit(exchange);

        assertEquals(List.of("roundcube_sessauth=x; Path=/mail/; Secure; HttpOnly"), setCookies(exchange));
    }

    @Test
    void beforeCommitReplacesSiblingPath() {
        HttpServerExchange exchange = new HttpServerExchange(null);
        exchange.getResponseHeaders().add(Headers.SET_COOKIE, "a=1; Path=/mailbox/");
        exchange.getResponseHeaders().add(Headers.SET_COOKIE, "b=2; Path=/mail");

        filter.beforeCommit(exchange);

        assertEquals(List.of("a=1; Path=/mail/", "b=2; Path=/mail/"), setCookies(exchange));
    }

    @Test
    void beforeCommitRemovesGatewayHeaders() {
        HttpServerExchange exchange = new HttpServerExchange(null);
        exchange.getResponseHeaders().put(new HttpString("X-Mailpin-Login"), "ok");
        exchange.getResponseHeaders().put(new HttpString("X-Mailpin-Login-Error"), "LOGIN: Authentication failed.");
        exchange.getResponseHeaders().put(new HttpString("x-mailpin-debug"), "1");
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/html");

        filter.beforeCommit(exchange);

        assertNull(exchange.getResponseHeaders().get(new HttpString("X-Mailpin-Login")));
        assertNull(exchange.getResponseHeaders().get(new HttpString("X-Mailpin-Login-Error")));
        assertNull(exchange.getResponseHeaders().get(new HttpString("X-Mailpin-Debug")));
        assertEquals("text/html", exchange.getResponseHeaders().getFirst(Headers.CONTENT_TYPE));
    }

    @Test
    void beforeCommitClearsInvalidPin() {
        HttpServerExchange exchange = new HttpServerExchange(null);
        ResponseFilter clearing = filter(new GatewayHandler.PinState(Optional.empty(), true));

        clearing.beforeCommit(exchange);

        assertEquals(List.of("mailpin_pin=; Path=/mail/; Max-Age=0; HttpOnly; SameSite=Lax"), setCookies(exchange));
    }

    @Test
    void beforeCommitKeepsValidPin() {
        HttpServerExchange exchange = new HttpServerExchange(null);

        filter.beforeCommit(exchange);

        assertNull(exchange.getResponseHeaders().get(Headers.SET_COOKIE));
    }

    @ParameterizedTest(name = "status {0}, plugin says {1} -> {2}")
    @CsvSource({
            "200, failed, auth_failed",
            "200, , unknown",
            "504, , backend_unavailable",
            "503, failed, backend_unavailable",
    })
    void failedLoginCountedByCause(int status, String pluginResult, String expected) {
        GatewayMetrics metrics = new GatewayMetrics();
        Backend be1 = new Backend("be1", "127.0.0.11", 100, "", BackendPorts.DEFAULTS, "rc1", true);
        var login = new ResponseFilter.Login("user01@example.test", be1, "rc1", "127.0.0.1", System.nanoTime());
        ResponseFilter loginFilter = new ResponseFilter(WEB, null, null, CLOCK, "rc1",
                new ResponseFilter.Context(GatewayHandler.PinState.NONE, login, false), metrics);
        HttpServerExchange exchange = new HttpServerExchange(null);
        exchange.setStatusCode(status);
        if (pluginResult != null) {
            exchange.getResponseHeaders().put(ResponseFilter.LOGIN_RESULT, pluginResult);
        }

        loginFilter.beforeCommit(exchange);

        Samples samples = Samples.parse(metrics.scrape());
        assertEquals(1.0, samples.require("mailpin_logins_total{protocol=\"web\",result=\"" + expected + "\"}"));
        assertEquals(1.0, samples.require(
                "mailpin_backend_login_seconds_count{protocol=\"web\",result=\"" + expected + "\"}"));
    }

    private static ResponseFilter filter(GatewayHandler.PinState pin) {
        // No director: these responses carry no token, login or logout, so the filter never calls it.
        return new ResponseFilter(WEB, null, null, CLOCK, "rc1", new ResponseFilter.Context(pin, null, false),
                new GatewayMetrics());
    }

    private static WebSection withPrefix(String prefix) {
        return new WebSection(WEB.listenHost(), WEB.listenPort(), prefix, WEB.publicHosts(), WEB.secretFile(),
                WEB.sharedSessions(), WEB.maxBodySize(), WEB.sessionIdle(), WEB.sessionCookie(), WEB.proxyTimeout(),
                WEB.roundcube());
    }

    private static List<String> setCookies(HttpServerExchange exchange) {
        HeaderValues values = exchange.getResponseHeaders().get(Headers.SET_COOKIE);
        return values == null ? List.of() : List.copyOf(values);
    }

    @Test
    void locationWithUrlInQueryGetsPrefix() {
        assertEquals("/mail/?_task=login&_url=http://x/", filter.publicLocation("/?_task=login&_url=http://x/"));
    }

    @Test
    void internalLocationWithoutPathBecomesPublic() {
        assertEquals("/mail/?_task=mail", filter.publicLocation("http://127.0.0.21:8081?_task=mail"));
    }
}
