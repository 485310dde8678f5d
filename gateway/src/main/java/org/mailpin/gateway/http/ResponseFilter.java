package org.mailpin.gateway.http;

import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.mailpin.director.Backend;
import org.mailpin.director.Director;
import org.mailpin.director.LoginTokens;
import org.mailpin.director.WebSession;
import org.mailpin.gateway.config.GatewayConfig.WebSection;
import org.mailpin.gateway.metrics.GatewayMetrics;
import org.mailpin.gateway.metrics.LoginResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.undertow.server.HttpServerExchange;
import io.undertow.server.ResponseCommitListener;
import io.undertow.util.HeaderMap;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;

/**
 * Runs just before a proxied response goes to the browser: records the login page's token, sets
 * or clears the pin cookie, keeps redirects and cookies inside the public prefix, and removes
 * every {@code X-Mailpin-*} header the plugin sent for the gateway.
 */
final class ResponseFilter implements ResponseCommitListener {

    private static final Logger log = LoggerFactory.getLogger(ResponseFilter.class);

    static final HttpString REQUEST_TOKEN = new HttpString("X-Mailpin-Request-Token");
    static final HttpString LOGIN_RESULT = new HttpString("X-Mailpin-Login");
    static final HttpString LOGIN_ERROR = new HttpString("X-Mailpin-Login-Error");

    /**
     * A login in flight.
     *
     * @param startNanos {@link System#nanoTime()} before the director lookup, for the login latency
     */
    record Login(String user, Backend backend, String instance, String clientIp, long startNanos) {
    }

    /** The kind of request: its pin state, and whether it is a login or a logout. */
    record Context(GatewayHandler.PinState pin, Login login, boolean logout) {
    }

    private final WebSection web;
    private final Director director;
    private final PinCookie pins;
    private final InstantSource clock;
    private final String instance;
    private final Context context;
    private final GatewayMetrics metrics;

    ResponseFilter(WebSection web, Director director, PinCookie pins, InstantSource clock, String instance,
                   Context context, GatewayMetrics metrics) {
        this.web = web;
        this.director = director;
        this.pins = pins;
        this.clock = clock;
        this.instance = instance;
        this.context = context;
        this.metrics = metrics;
    }

    @Override
    public void beforeCommit(HttpServerExchange exchange) {
        HeaderMap headers = exchange.getResponseHeaders();
        int status = exchange.getStatusCode();
        if (status >= 502 && status <= 504) {
            // Undertow's proxy answers 503 itself when the instance refuses the connection, and 504 on timeout.
            log.warn("{} {} returned {} through Roundcube instance {}{}", exchange.getRequestMethod(),
                    exchange.getRequestPath(), status, instance,
                    headers.contains(Headers.CONTENT_TYPE) ? "" : " (no response from the instance: is it running?)");
        }
        String token = headers.getFirst(REQUEST_TOKEN);
        String loginResult = headers.getFirst(LOGIN_RESULT);
        String loginError = headers.getFirst(LOGIN_ERROR);
        removeGatewayHeaders(headers);

        if (token != null) {
            recordToken(exchange, token);
        }
        keepInsidePrefix(headers);

        if (context.login() != null) {
            finishLogin(exchange, loginResult, loginError);
        } else if (context.logout() && context.pin().session().isPresent()) {
            director.webSessions().remove(context.pin().session().get().id());
            clearPin(headers);
        } else if (context.pin().clearPin()) {
            clearPin(headers);
        }
    }

    private void finishLogin(HttpServerExchange exchange, String result, String error) {
        Login login = context.login();
        if ("ok".equals(result)) {
            context.pin().session().ifPresent(old -> director.webSessions().remove(old.id()));
            var now = clock.instant();
            WebSession session = new WebSession(PinCookie.newSessionId(), login.user(), now, now, login.clientIp(),
                    director.nodeName());
            director.webSessions().put(session);
            exchange.getResponseHeaders().add(Headers.SET_COOKIE, pinCookie(
                    pins.encode(new PinCookie.Pin(session.id(), login.user(), now)), exchange));
            log.info("webmail login ok user={} backend={} instance={} session={}", login.user(),
                    login.backend().id(), login.instance(), session.id());
            metrics.recordWebBackendLogin(LoginResult.OK, login.startNanos());
            return;
        }
        metrics.recordWebBackendLogin(failure(exchange.getStatusCode(), result), login.startNanos());
        log.warn("webmail login failed user={} backend={} ({}) instance={} status={} reply={}", login.user(),
                login.backend().id(), login.backend().address(), login.instance(), exchange.getStatusCode(),
                error == null ? (result == null ? "no answer from the mailpin plugin: is it enabled on "
                        + login.instance() + "?" : "none") : error);
    }

    // Undertow's proxy responds with 503 when the instance refuses the connection and 504 on a timeout.
    private static LoginResult failure(int status, String pluginResult) {
        if (status >= 502 && status <= 504) {
            return LoginResult.BACKEND_UNAVAILABLE;
        }
        return "failed".equals(pluginResult) ? LoginResult.AUTH_FAILED : LoginResult.UNKNOWN;
    }

    private void recordToken(HttpServerExchange exchange, String token) {
        String sessionCookie = responseCookie(exchange.getResponseHeaders(), web.sessionCookie());
        if (sessionCookie == null) {
            sessionCookie = RequestHeaders.cookie(exchange, web.sessionCookie());
        }
        if (sessionCookie != null && !sessionCookie.isEmpty() && !sessionCookie.equals("-del-")) {
            director.loginTokens().record(sessionCookie, new LoginTokens.Issued(instance, token));
        }
    }

    private void clearPin(HeaderMap headers) {
        headers.add(Headers.SET_COOKIE, PinCookie.NAME + "=; Path=" + web.prefix()
                + "; Max-Age=0; HttpOnly; SameSite=Lax");
    }

    private String pinCookie(String value, HttpServerExchange exchange) {
        StringBuilder cookie = new StringBuilder(PinCookie.NAME).append('=').append(value)
                .append("; Path=").append(web.prefix()).append("; HttpOnly; SameSite=Lax");
        if ("https".equals(exchange.getRequestScheme())) {
            cookie.append("; Secure");
        }
        return cookie.toString();
    }

    private static void removeGatewayHeaders(HeaderMap headers) {
        List<HttpString> names = new ArrayList<>();
        for (HeaderValues values : headers) {
            if (values.getHeaderName().toString().toLowerCase(Locale.ROOT).startsWith("x-mailpin-")) {
                names.add(values.getHeaderName());
            }
        }
        names.forEach(headers::remove);
    }

    // Roundcube behind the stripped prefix needs request_path and session_path. This catches a
    // misconfigured instance: an absolute path outside the prefix gets the prefix, and an absolute
    // URL naming the internal instance becomes a public path.
    private void keepInsidePrefix(HeaderMap headers) {
        String location = headers.getFirst(Headers.LOCATION);
        if (location != null) {
            String fixed = publicLocation(location);
            if (!fixed.equals(location)) {
                log.debug("rewrote redirect {} to {}: check request_path in the Roundcube config of {}", location,
                        fixed, instance);
                headers.put(Headers.LOCATION, fixed);
            }
        }

        HeaderValues cookies = headers.get(Headers.SET_COOKIE);
        if (cookies == null) {
            return;
        }
        List<String> rewritten = new ArrayList<>();
        for (String cookie : cookies) {
            rewritten.add(cookieInsidePrefix(cookie));
        }
        headers.putAll(Headers.SET_COOKIE, rewritten);
    }

    String publicLocation(String location) {
        String path = location;
        java.util.regex.Matcher absolute = ABSOLUTE_URL.matcher(location);
        if (absolute.matches()) {
            String authority = absolute.group(2);
            var instance = web.roundcube().stream()
                    .filter(r -> r.url().getRawAuthority().equalsIgnoreCase(authority))
                    .findFirst();
            if (instance.isEmpty()) {
                return location;
            }
            String rest = absolute.group(3);
            String instancePath = instance.get().url().getRawPath() == null ? "" : instance.get().url().getRawPath();
            if (!instancePath.isEmpty() && !instancePath.equals("/") && rest.startsWith(instancePath)) {
                rest = rest.substring(instancePath.length() - 1);
            }
            path = rest.isEmpty() || rest.charAt(0) != '/' ? "/" + rest : rest;
        }
        if (path.startsWith("/") && !path.startsWith(web.prefix())) {
            return web.prefix() + path.substring(1);
        }
        return path;
    }

    // scheme://authority then the rest; the authority ends at '/', '?' or '#'.
    private static final java.util.regex.Pattern ABSOLUTE_URL =
            java.util.regex.Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)(.*)", java.util.regex.Pattern.DOTALL);

    private String cookieInsidePrefix(String cookie) {
        String[] parts = cookie.split(";");
        StringBuilder out = new StringBuilder(parts[0]);
        boolean hasPath = false;
        for (int i = 1; i < parts.length; i++) {
            String part = parts[i].strip();
            if (part.toLowerCase(Locale.ROOT).startsWith("path=")) {
                hasPath = true;
                String path = part.substring(5);
                if (!path.startsWith(web.prefix())) {
                    part = "Path=" + web.prefix();
                }
            }
            out.append("; ").append(part);
        }
        if (!hasPath) {
            out.append("; Path=").append(web.prefix());
        }
        return out.toString();
    }

    private static String responseCookie(HeaderMap headers, String name) {
        HeaderValues cookies = headers.get(Headers.SET_COOKIE);
        if (cookies == null) {
            return null;
        }
        String found = null;
        for (String cookie : cookies) {
            if (cookie.startsWith(name + "=")) {
                int end = cookie.indexOf(';');
                found = cookie.substring(name.length() + 1, end < 0 ? cookie.length() : end);
            }
        }
        return found;
    }
}
