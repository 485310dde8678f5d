package org.mailpin.gateway.http;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.InstantSource;

import org.mailpin.director.Director;
import org.mailpin.gateway.config.GatewayConfig.WebSection;
import org.mailpin.gateway.metrics.GatewayMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.undertow.Handlers;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.HttpHandler;
import io.undertow.server.handlers.PathHandler;
import io.undertow.server.handlers.proxy.ProxyHandler;

/** The public HTTP listener: an Undertow reverse proxy in front of the Roundcube instances. */
public final class WebGateway implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WebGateway.class);

    // A pin outlives any sane working day; the shared web session's idle time ends it much sooner.
    private static final Duration PIN_MAX_AGE = Duration.ofDays(7);

    private final WebSection web;
    private final RoundcubePool pool;
    private final PinCookie pins;
    private final Undertow server;

    public WebGateway(WebSection web, Director director, Hmac hmac, InstantSource clock, GatewayMetrics metrics) {
        this.web = web;
        this.pool = new RoundcubePool(web.roundcube());
        this.pins = new PinCookie(hmac, PIN_MAX_AGE);

        // No retries: a POST must never reach a second instance, and a GET to a failed instance
        // is better answered with 503 than silently served by an instance with another database.
        HttpHandler proxy = ProxyHandler.builder()
                .setProxyClient(new RoutingProxyClient())
                .setMaxRequestTime((int) web.proxyTimeout().toMillis())
                .setRewriteHostHeader(false)
                .setReuseXForwarded(false)
                .setMaxConnectionRetries(0)
                .build();
        GatewayHandler gateway = new GatewayHandler(web, director, pool, proxy, new RouteHeader(hmac), pins, clock,
                metrics);

        String prefix = web.prefix().equals("/") ? "/" : web.prefix().substring(0, web.prefix().length() - 1);
        PathHandler paths = Handlers.path(exchange -> Responses.plain(exchange, 404,
                "Not found: webmail is under " + web.prefix()));
        paths.addPrefixPath(prefix, gateway);

        this.server = Undertow.builder()
                .addHttpListener(web.listenPort(), web.listenHost())
                // Undertow answers a body above this limit with a bare 400 before any handler runs;
                // unlimited here lets GatewayHandler answer 413 and set the real limit per request.
                .setServerOption(UndertowOptions.MAX_ENTITY_SIZE, -1L)
                .setServerOption(UndertowOptions.MAX_HEADER_SIZE, 64 * 1024)
                .setServerOption(UndertowOptions.MAX_COOKIES, 100)
                .setHandler(new RequestTimer(paths, metrics))
                .build();
    }

    public void start() {
        try {
            server.start();
        } catch (RuntimeException e) {
            throw new java.io.UncheckedIOException("cannot listen on " + web.listenHost() + ":" + web.listenPort()
                    + " (web.listen): " + rootMessage(e), new java.io.IOException(e));
        }
        log.info("web gateway listening on http://{}:{}{} in front of {} Roundcube instance(s)", web.listenHost(),
                web.listenPort(), web.prefix(), web.roundcube().size());
    }

    static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getMessage();
    }

    /** Returns the bound address, for tests that listen on port 0. */
    public InetSocketAddress address() {
        return (InetSocketAddress) server.getListenerInfo().get(0).getAddress();
    }

    /** Returns the codec of the pin cookie, which the admin API uses to read a pasted cookie value. */
    public PinCookie pins() {
        return pins;
    }

    @Override
    public void close() {
        // Pooled connections close on the I/O threads, so before the server stops them.
        pool.close();
        server.stop();
    }
}
