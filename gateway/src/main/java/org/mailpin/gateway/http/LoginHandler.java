package org.mailpin.gateway.http;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.InstantSource;
import java.util.Optional;

import org.mailpin.director.Assignment;
import org.mailpin.director.Backend;
import org.mailpin.director.Director;
import org.mailpin.director.LoginTokens;
import org.mailpin.director.NoBackendAvailableException;
import org.mailpin.gateway.config.GatewayConfig.WebSection;
import org.mailpin.gateway.metrics.GatewayMetrics;
import org.mailpin.gateway.metrics.LoginResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.undertow.server.Connectors;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RequestTooBigException;
import io.undertow.util.Headers;
import io.undertow.util.ImmediatePooledByteBuffer;

/**
 * Routes a Roundcube login POST to the Roundcube instance of the user's backend.
 *
 * <p>The form is buffered (at most {@link #MAX_LOGIN_BODY} bytes), {@code _user} replaced by the
 * normalized name, and the director asked for the owner. With separate Roundcube databases the
 * login page's CSRF token is only valid on the instance that issued it; when that is not the
 * owner's instance, the gateway checks {@code Origin}/{@code Referer} and the token against the
 * issuing instance itself, then sends the login to the owner without the browser's Roundcube
 * cookies and with {@code "login":"gateway-verified"} in the signed route header. A token that
 * does not match is forwarded unchanged, so Roundcube rejects it as it always would.
 */
final class LoginHandler {

    private static final Logger log = LoggerFactory.getLogger(LoginHandler.class);

    /** A login form is a few hundred bytes; anything near this is not a browser login. */
    static final int MAX_LOGIN_BODY = 64 * 1024;

    private final GatewayHandler gateway;
    private final WebSection web;
    private final Director director;
    private final RoundcubePool pool;
    private final RouteHeader route;
    private final InstantSource clock;
    private final GatewayMetrics metrics;

    LoginHandler(GatewayHandler gateway, WebSection web, Director director, RoundcubePool pool, RouteHeader route,
                 InstantSource clock, GatewayMetrics metrics) {
        this.gateway = gateway;
        this.web = web;
        this.director = director;
        this.pool = pool;
        this.route = route;
        this.clock = clock;
        this.metrics = metrics;
    }

    void handle(HttpServerExchange exchange, GatewayHandler.PinState pin) {
        exchange.setMaxEntitySize(MAX_LOGIN_BODY);
        exchange.getRequestReceiver().receiveFullBytes(
                (ex, body) -> {
                    try {
                        onBody(ex, body, pin);
                    } catch (Exception e) {
                        log.error("login request from {} failed inside the gateway", ex.getSourceAddress(), e);
                        if (!ex.isResponseStarted()) {
                            Responses.plain(ex, 500, "Internal gateway error; the administrator can find the details in the gateway log.");
                        }
                    }
                },
                (ex, error) -> {
                    if (error instanceof RequestTooBigException) {
                        Responses.plain(ex, 413, "Login form too large: the limit is " + MAX_LOGIN_BODY + " bytes.");
                    } else {
                        clientLog().debug("could not read login form from {}: {}", ex.getSourceAddress(), error.toString());
                        ex.endExchange();
                    }
                });
    }

    private void onBody(HttpServerExchange exchange, byte[] body, GatewayHandler.PinState pin) throws Exception {
        FormBody form;
        try {
            form = FormBody.parse(new String(body, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            Responses.plain(exchange, 400, "Invalid form encoding in the login request.");
            return;
        }

        if (!form.get("_action").orElse("").equals("login")) {
            replaceBody(exchange, body);
            gateway.forward(exchange, pin);
            return;
        }

        String user;
        try {
            user = director.normalizer().normalize(form.get("_user").orElse(""));
        } catch (IllegalArgumentException e) {
            clientLog().debug("rejected login from {}: {}", exchange.getSourceAddress(), e.getMessage());
            metrics.recordWebLogin(LoginResult.REJECTED);
            Responses.plain(exchange, 400, "Invalid username: it must not be empty or contain control characters (CR, LF, NUL).");
            return;
        }

        if (!sameOrigin(exchange)) {
            clientLog().debug("rejected login of {} from {}: Origin {} / Referer {} is not a public host", user,
                    exchange.getSourceAddress(), exchange.getRequestHeaders().getFirst(Headers.ORIGIN),
                    exchange.getRequestHeaders().getFirst(Headers.REFERER));
            metrics.recordWebLogin(LoginResult.REJECTED);
            Responses.plain(exchange, 403, "Login rejected: the form was not posted from this site's login page.");
            return;
        }

        long start = System.nanoTime();
        Backend backend;
        try {
            Assignment assignment = director.assign(user);
            backend = director.backend(assignment.backendId())
                    .orElseThrow(() -> new NoBackendAvailableException(user, ""));
        } catch (NoBackendAvailableException e) {
            log.warn("webmail login of {} rejected: {}", user, e.getMessage());
            metrics.recordWebLogin(LoginResult.NO_BACKEND);
            Responses.plain(exchange, 503, "No mail backend is available for your account right now. Try again in a minute.");
            return;
        }
        RoundcubePool.Member owner = pool.forBackend(backend);

        boolean handOff = needsHandOff(exchange, form, owner);
        if (handOff) {
            // The owner's instance has no session for this browser: it starts a fresh one.
            exchange.getRequestHeaders().remove(Headers.COOKIE);
        }
        form.set("_user", user);
        replaceBody(exchange, form.encode().getBytes(StandardCharsets.UTF_8));
        exchange.getRequestHeaders().put(RouteHeader.NAME_HTTP, route.value(user, backend, handOff, clock.instant()));

        log.info("webmail login user={} backend={} ({}) instance={} client={}{}", user, backend.id(),
                backend.address(), owner.id(), exchange.getSourceAddress().getAddress().getHostAddress(),
                handOff ? " (login page from another instance, token checked by the gateway)" : "");
        var login = new ResponseFilter.Login(user, backend, owner.id(),
                exchange.getSourceAddress().getAddress().getHostAddress(), start);
        gateway.proxyTo(exchange, owner, new ResponseFilter.Context(pin, login, false));
    }

    private boolean needsHandOff(HttpServerExchange exchange, FormBody form, RoundcubePool.Member owner) {
        if (web.sharedSessions()) {
            return false;
        }
        String sessionCookie = RequestHeaders.cookie(exchange, web.sessionCookie());
        if (sessionCookie == null) {
            return false;
        }
        Optional<LoginTokens.Issued> issued = director.loginTokens().find(sessionCookie);
        if (issued.isEmpty() || issued.get().instance().equals(owner.id())) {
            return false;
        }
        byte[] expected = issued.get().token().getBytes(StandardCharsets.UTF_8);
        byte[] posted = form.get("_token").orElse("").getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(expected, posted);
    }

    // Browsers send Origin on every POST; Referer is the fallback for the few that strip it.
    private boolean sameOrigin(HttpServerExchange exchange) {
        String origin = exchange.getRequestHeaders().getFirst(Headers.ORIGIN);
        if (origin != null && !origin.equals("null")) {
            return gateway.isPublicOrigin(origin);
        }
        String referer = exchange.getRequestHeaders().getFirst(Headers.REFERER);
        return referer != null && gateway.isPublicOrigin(referer);
    }

    private void replaceBody(HttpServerExchange exchange, byte[] body) {
        Connectors.ungetRequestBytes(exchange, new ImmediatePooledByteBuffer(ByteBuffer.wrap(body)));
        Connectors.resetRequestChannel(exchange);
        exchange.getRequestHeaders().remove(Headers.TRANSFER_ENCODING);
        exchange.getRequestHeaders().put(Headers.CONTENT_LENGTH, body.length);
        exchange.setMaxEntitySize(web.maxBodySize());
    }

    private static Logger clientLog() {
        return GatewayHandler.clientLog;
    }
}
