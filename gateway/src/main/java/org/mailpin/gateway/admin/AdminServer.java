package org.mailpin.gateway.admin;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.mailpin.director.Assignment;
import org.mailpin.director.Backend;
import org.mailpin.director.Director;
import org.mailpin.director.WebSession;
import org.mailpin.gateway.config.GatewayConfig.AdminSection;
import org.mailpin.gateway.metrics.GatewayMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import io.undertow.Handlers;
import io.undertow.Undertow;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RoutingHandler;
import io.undertow.util.Headers;

/**
 * The admin listener: JSON over HTTP and the Prometheus metrics, bearer token required on every
 * call, bound to loopback unless the operator configures another address.
 */
public final class AdminServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
    private static final ObjectMapper JSON = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(SerializationFeature.INDENT_OUTPUT);

    private final AdminSection admin;
    private final Director director;
    private final byte[] token;
    private final GatewayMetrics metrics;
    private final RoutingHandler routes;
    private final Undertow server;

    public AdminServer(AdminSection admin, Director director, String token, GatewayMetrics metrics) {
        this.admin = admin;
        this.director = director;
        this.token = token.getBytes(StandardCharsets.UTF_8);
        this.metrics = metrics;

        RoutingHandler routes = Handlers.routing()
                .get("/api/v1/users/{user}", blocking(this::user))
                .get("/api/v1/sessions", blocking(this::sessions))
                .get("/api/v1/backends", blocking(this::backends))
                .get("/metrics", blocking(this::metrics))
                .setFallbackHandler(exchange -> error(exchange, 404, "no such admin endpoint; see docs/admin-api.md"));
        this.routes = routes;
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
            throw new java.io.UncheckedIOException("cannot listen on " + admin.listenHost() + ":" + admin.listenPort()
                    + " (admin.listen): " + root.getMessage(), new java.io.IOException(e));
        }
        log.info("admin API listening on http://{}:{}/api/v1/ and /metrics", admin.listenHost(), admin.listenPort());
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) server.getListenerInfo().get(0).getAddress();
    }

    private void authenticate(HttpServerExchange exchange) throws Exception {
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

    private void user(HttpServerExchange exchange) throws Exception {
        String raw = exchange.getQueryParameters().get("user").getFirst();
        String user;
        try {
            user = director.normalizer().normalize(raw);
        } catch (IllegalArgumentException e) {
            error(exchange, 400, e.getMessage());
            return;
        }

        Optional<Assignment> assignment = director.find(user);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("user", user);
        if (assignment.isEmpty()) {
            body.put("assigned", false);
            body.put("ringChoice", director.ringChoice(user).map(Backend::id).orElse(null));
            send(exchange, 200, body);
            return;
        }

        Assignment a = assignment.get();
        Optional<Backend> backend = director.backend(a.backendId());
        body.put("assigned", true);
        body.put("backend", a.backendId());
        body.put("address", backend.map(Backend::address).orElse(null));
        body.put("reason", a.reason().label());
        body.put("since", a.since());
        body.put("lastActivity", a.lastActivity());
        body.put("expires", a.expiresAt(director.userExpire()));
        body.put("node", a.node());
        body.put("ringChoice", director.ringChoice(user).map(Backend::id).orElse(null));
        body.put("webSessions", director.webSessions().list().stream().filter(s -> s.user().equals(user))
                .map(AdminServer::sessionJson).toList());
        send(exchange, 200, body);
    }

    private void sessions(HttpServerExchange exchange) throws Exception {
        List<Map<String, Object>> sessions = director.webSessions().list().stream().map(AdminServer::sessionJson).toList();
        send(exchange, 200, Map.of("sessions", sessions));
    }

    private void backends(HttpServerExchange exchange) throws Exception {
        send(exchange, 200, Map.of("backends", director.backends()));
    }

    private void metrics(HttpServerExchange exchange) {
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, GatewayMetrics.CONTENT_TYPE);
        exchange.getResponseSender().send(metrics.scrape());
    }

    private static Map<String, Object> sessionJson(WebSession s) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", s.id());
        json.put("user", s.user());
        json.put("created", s.created());
        json.put("lastRequest", s.lastRequest());
        json.put("clientIp", s.clientIp());
        json.put("node", s.node());
        return json;
    }

    private static HttpHandler blocking(HttpHandler handler) {
        return new io.undertow.server.handlers.BlockingHandler(handler);
    }

    private static void send(HttpServerExchange exchange, int status, Object body) throws Exception {
        exchange.setStatusCode(status);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
        exchange.getResponseSender().send(JSON.writeValueAsString(body));
    }

    private static void error(HttpServerExchange exchange, int status, String message) throws Exception {
        send(exchange, status, Map.of("error", message));
    }

    @Override
    public void close() {
        server.stop();
    }
}
