package org.mailpin.gateway.http;

import java.net.URI;
import java.time.InstantSource;
import java.util.Locale;
import java.util.Optional;

import org.mailpin.director.Assignment;
import org.mailpin.director.Backend;
import org.mailpin.director.Director;
import org.mailpin.director.NoBackendAvailableException;
import org.mailpin.director.WebSession;
import org.mailpin.gateway.config.GatewayConfig.WebSection;
import org.mailpin.gateway.metrics.GatewayMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.Methods;

/**
 * Entry point of every request under the public prefix: header hygiene, the Host check, the body
 * limit, then the routing decision. A browser pinned by a valid {@link PinCookie} goes to the
 * Roundcube instance of its user's current backend; a login POST goes to {@link LoginHandler};
 * anything else goes to the instance that issued the browser's login page, or to the next one.
 */
final class GatewayHandler implements HttpHandler {

    private static final Logger log = LoggerFactory.getLogger(GatewayHandler.class);
    // Client-caused rejections are logged at DEBUG in their own category, so a flood of bad
    // requests cannot fill the logs at the default level.
    static final Logger clientLog = LoggerFactory.getLogger("org.mailpin.gateway.http.client");

    private final WebSection web;
    private final Director director;
    private final RoundcubePool pool;
    private final HttpHandler proxy;
    private final RouteHeader route;
    private final PinCookie pins;
    private final InstantSource clock;
    private final GatewayMetrics metrics;
    private final LoginHandler login;

    GatewayHandler(WebSection web, Director director, RoundcubePool pool, HttpHandler proxy, RouteHeader route,
                   PinCookie pins, InstantSource clock, GatewayMetrics metrics) {
        this.web = web;
        this.director = director;
        this.pool = pool;
        this.proxy = proxy;
        this.route = route;
        this.pins = pins;
        this.clock = clock;
        this.metrics = metrics;
        this.login = new LoginHandler(this, web, director, pool, route, clock, metrics);
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        // Director calls may wait on Hazelcast, so routing runs on a worker thread, never on an I/O thread.
        if (exchange.isInIoThread()) {
            exchange.dispatch(this);
            return;
        }

        int stripped = RequestHeaders.stripClientControlled(exchange);
        if (stripped > 0) {
            clientLog.debug("removed {} client-sent X-Mailpin/X-Forwarded headers from {} {}", stripped,
                    exchange.getRequestMethod(), exchange.getRequestPath());
        }

        String host = exchange.getRequestHeaders().getFirst(Headers.HOST);
        if (host == null || !isPublicHost(host)) {
            clientLog.debug("rejected request for host {} from {}", host, exchange.getSourceAddress());
            Responses.plain(exchange, 421, "Misdirected request: this gateway does not serve that host name.");
            return;
        }

        if (exchange.getRelativePath().isEmpty()) {
            Responses.redirect(exchange, web.prefix());
            return;
        }

        if (exchange.getRequestContentLength() > web.maxBodySize()) {
            Responses.plain(exchange, 413, "Request body too large: the limit is " + web.maxBodySize() + " bytes.");
            return;
        }
        exchange.setMaxEntitySize(web.maxBodySize());

        PinState pin = pinState(exchange);
        if (isLoginCandidate(exchange)) {
            login.handle(exchange, pin);
            return;
        }
        forward(exchange, pin);
    }

    /** Forwards a request that is not a login, pinned or not. */
    void forward(HttpServerExchange exchange, PinState pin) throws Exception {
        if (pin.session().isEmpty()) {
            proxyTo(exchange, anonymousTarget(exchange), new ResponseFilter.Context(pin, null, isLogout(exchange)));
            return;
        }

        WebSession session = pin.session().get();
        Backend backend;
        try {
            Assignment assignment = director.assign(session.user());
            backend = director.backend(assignment.backendId()).orElseThrow(
                    () -> new NoBackendAvailableException(session.user(), ""));
        } catch (NoBackendAvailableException e) {
            log.warn("web session {} of user {}: {}", session.id(), session.user(), e.getMessage());
            Responses.plain(exchange, 503, "No mail backend is available for your account right now. Try again in a minute.");
            return;
        }

        exchange.getRequestHeaders().put(RouteHeader.NAME_HTTP, route.value(session.user(), backend, false, clock.instant()));
        director.webSessions().touch(session);
        proxyTo(exchange, pool.forBackend(backend), new ResponseFilter.Context(pin, null, isLogout(exchange)));
    }

    void proxyTo(HttpServerExchange exchange, RoundcubePool.Member target, ResponseFilter.Context context)
            throws Exception {
        exchange.putAttachment(RoutingProxyClient.TARGET, target);
        exchange.addResponseCommitListener(new ResponseFilter(web, director, pins, clock, target.id(), context,
                metrics));
        proxy.handleRequest(exchange);
    }

    private RoundcubePool.Member anonymousTarget(HttpServerExchange exchange) {
        String sessionCookie = RequestHeaders.cookie(exchange, web.sessionCookie());
        if (sessionCookie != null) {
            Optional<RoundcubePool.Member> issuer = director.loginTokens().find(sessionCookie)
                    .flatMap(issued -> pool.byId(issued.instance()));
            if (issuer.isPresent()) {
                return issuer.get();
            }
        }
        return pool.nextAnonymous();
    }

    private PinState pinState(HttpServerExchange exchange) {
        String value = RequestHeaders.cookie(exchange, PinCookie.NAME);
        if (value == null) {
            return PinState.NONE;
        }
        Optional<PinCookie.Pin> pin = pins.decode(value, clock.instant());
        if (pin.isEmpty()) {
            clientLog.debug("ignored an invalid or expired pin cookie from {}", exchange.getSourceAddress());
            return new PinState(Optional.empty(), true);
        }
        Optional<WebSession> session = director.webSessions().find(pin.get().sessionId())
                .filter(s -> s.user().equals(pin.get().user()));
        return new PinState(session, session.isEmpty());
    }

    private static boolean isLoginCandidate(HttpServerExchange exchange) {
        if (!Methods.POST.equals(exchange.getRequestMethod())) {
            return false;
        }
        String task = RequestHeaders.query(exchange, "_task");
        String type = exchange.getRequestHeaders().getFirst(Headers.CONTENT_TYPE);
        return (task == null || task.equals("login"))
                && type != null && type.toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded");
    }

    private static boolean isLogout(HttpServerExchange exchange) {
        return "logout".equals(RequestHeaders.query(exchange, "_task"));
    }

    boolean isPublicHost(String host) {
        String wanted = host.toLowerCase(Locale.ROOT);
        return web.publicHosts().stream().anyMatch(h -> h.toLowerCase(Locale.ROOT).equals(wanted));
    }

    /** True when the URL's host and port are one of the gateway's public hosts. */
    boolean isPublicOrigin(String url) {
        try {
            URI uri = URI.create(url.strip());
            if (uri.getHost() == null || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
                return false;
            }
            String authority = uri.getPort() < 0 ? uri.getHost() : uri.getHost() + ":" + uri.getPort();
            return isPublicHost(authority);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * The state of the request's pin cookie.
     *
     * @param session   the live web session the pin names, if any
     * @param clearPin  true when the browser sent a pin that is invalid or whose session ended,
     *                  so the response should delete it
     */
    record PinState(Optional<WebSession> session, boolean clearPin) {
        static final PinState NONE = new PinState(Optional.empty(), false);
    }
}
