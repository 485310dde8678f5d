package org.mailpin.gateway.admin;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.InstantSource;
import java.util.List;

import org.mailpin.director.Backend;
import org.mailpin.director.Director;
import org.mailpin.director.DirectorUnavailableException;
import org.mailpin.director.UnknownBackendException;
import org.mailpin.gateway.cluster.ClusterView;
import org.mailpin.gateway.cluster.UserConnections;
import org.mailpin.gateway.config.GatewayConfig.AdminSection;
import org.mailpin.gateway.http.PinCookie;
import org.mailpin.gateway.metrics.GatewayMetrics;
import org.mailpin.gateway.health.HealthStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.undertow.Handlers;
import io.undertow.Undertow;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RoutingHandler;
import io.undertow.server.handlers.BlockingHandler;
import io.undertow.util.Headers;
import io.undertow.util.Methods;

/**
 * The admin listener: JSON over HTTP and the Prometheus metrics, bearer token required on every
 * call, bound to loopback unless the operator configures another address. The verbs follow
 * {@code doveadm director}; see docs/admin-api.md. The static files of the dashboard under
 * {@code /dashboard} are the one exception to the token, because they contain no data.
 *
 * <p>The response to a change is sent only after the shared map contains it, so a script that sends
 * commands back to back, each after the previous response, gets every one executed in order.
 * Dovecot's admin socket could drop such commands.
 */
public final class AdminServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);

    private final AdminSection admin;
    private final byte[] token;
    private final GatewayMetrics metrics;
    private final RoutingHandler routes;
    private final DashboardPage dashboard = new DashboardPage();
    private final Undertow server;

    /**
     * The parts of this node that the admin API reads and changes.
     *
     * @param cluster     the gateway nodes as the shared nodes map lists them
     * @param connections the users' live mail connections on every node
     * @param pins        the pin cookie codec, to read a pasted cookie value
     * @param metrics     the meters served at {@code /metrics}
     * @param health      the health checks' published results
     */
    public record Sources(Director director, ClusterView cluster, UserConnections connections, PinCookie pins,
                          InstantSource clock, GatewayMetrics metrics, HealthStore health) {
    }

    /**
     * @param configured the backends of this node's config file, for lookup's "initial config"
     * @param kickRate   users per second a flush moves
     */
    public AdminServer(AdminSection admin, Sources sources, List<Backend> configured, int kickRate, String token) {
        this.admin = admin;
        this.token = token.getBytes(StandardCharsets.UTF_8);
        this.metrics = sources.metrics();

        Director director = sources.director();
        UsersApi users = new UsersApi(director, sources.connections(), configured);
        SessionsApi sessions = new SessionsApi(director, users, sources.pins(), sources.clock());
        BackendsApi backends = new BackendsApi(director);
        StatusApi status = new StatusApi(director, sources.cluster());
        FlushApi flush = new FlushApi(director, kickRate);
        HealthApi healthApi = new HealthApi(director, sources.cluster(), sources.health());
        this.routes = Handlers.routing()
                .get("/api/v1/status", blocking(status::status))
                .get("/api/v1/map", blocking(status::map))
                .get("/api/v1/cluster", blocking(status::cluster))
                .get("/api/v1/events", blocking(status::events))
                .get("/api/v1/health", blocking(healthApi::health))
                .get("/api/v1/users/{user}", blocking(users::lookup))
                .post("/api/v1/users/{user}/move", blocking(users::move))
                .post("/api/v1/users/{user}/kick", blocking(users::kick))
                .get("/api/v1/sessions", blocking(sessions::list))
                .get("/api/v1/web-sessions/{id}", blocking(sessions::lookup))
                .get("/api/v1/backends", blocking(backends::list))
                .post("/api/v1/backends", blocking(backends::add))
                .add(Methods.PATCH, "/api/v1/backends/{id}", blocking(backends::update))
                .post("/api/v1/backends/{id}/up", blocking(backends::up))
                .post("/api/v1/backends/{id}/down", blocking(backends::down))
                .delete("/api/v1/backends/{id}", blocking(backends::remove))
                .post("/api/v1/flush", blocking(flush::flush))
                .get("/metrics", blocking(exchange -> {
                    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, GatewayMetrics.CONTENT_TYPE);
                    exchange.getResponseSender().send(metrics.scrape());
                }))
                .setFallbackHandler(exchange -> Json.error(exchange, 404,
                        "no such admin endpoint: " + exchange.getRequestMethod() + " " + exchange.getRequestPath()
                                + "; see docs/admin-api.md"));
        this.server = Undertow.builder()
                .addHttpListener(admin.listenPort(), admin.listenHost())
                .setHandler(this::authenticate)
                .build();
    }

    public void start() {
        try {
            server.start();
        } catch (RuntimeException e) {
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            throw new UncheckedIOException("cannot listen on " + admin.listenHost() + ":" + admin.listenPort()
                    + " (admin.listen): " + root.getMessage(), new IOException(e));
        }
        log.info("admin API listening on http://{}:{}/api/v1/ and /metrics", admin.listenHost(), admin.listenPort());
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) server.getListenerInfo().get(0).getAddress();
    }

    private void authenticate(HttpServerExchange exchange) throws Exception {
        if (DashboardPage.serves(exchange.getRequestPath())) {
            dashboard.handleRequest(exchange);
            return;
        }
        String header = exchange.getRequestHeaders().getFirst(Headers.AUTHORIZATION);
        byte[] presented = header != null && header.startsWith("Bearer ")
                ? header.substring(7).strip().getBytes(StandardCharsets.UTF_8) : new byte[0];
        if (!MessageDigest.isEqual(presented, token)) {
            exchange.setStatusCode(401);
            exchange.getResponseHeaders().put(Headers.WWW_AUTHENTICATE, "Bearer realm=\"mailpin\"");
            exchange.endExchange();
            return;
        }
        routes.handleRequest(exchange);
    }

    // Maps the director's exceptions to statuses a script can act on; the message names the value
    // and the fix.
    private static HttpHandler blocking(HttpHandler handler) {
        return new BlockingHandler(exchange -> {
            try {
                handler.handleRequest(exchange);
            } catch (UnknownBackendException e) {
                Json.error(exchange, 404, e.getMessage());
            } catch (DirectorUnavailableException e) {
                Json.error(exchange, 503, e.getMessage());
            } catch (IllegalArgumentException e) {
                Json.error(exchange, 400, e.getMessage());
            } catch (IllegalStateException e) {
                Json.error(exchange, 409, e.getMessage());
            }
        });
    }

    @Override
    public void close() {
        server.stop();
    }
}
