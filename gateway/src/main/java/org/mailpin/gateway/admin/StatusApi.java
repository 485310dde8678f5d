package org.mailpin.gateway.admin;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.mailpin.director.Assignment;
import org.mailpin.director.Backend;
import org.mailpin.director.ClusterEvent;
import org.mailpin.director.Director;
import org.mailpin.gateway.cluster.ClusterView;

import io.undertow.server.HttpServerExchange;

/** Read verbs over the whole cluster: status (backends with users and connections), map, cluster and events. */
final class StatusApi {

    static final int DEFAULT_EVENTS = 50;
    // Each event is one read from the cluster's ring buffer, so a large max costs as many round trips.
    static final int MAX_EVENTS = 1000;

    private final Director director;
    private final ClusterView cluster;

    StatusApi(Director director, ClusterView cluster) {
        this.director = director;
        this.cluster = cluster;
    }

    void status(HttpServerExchange exchange) throws Exception {
        Map<String, Integer> users = new HashMap<>();
        for (Assignment a : director.assignments()) {
            users.merge(a.backendId(), 1, Integer::sum);
        }
        Map<String, Integer> connections = cluster.connectionsByBackend();

        List<Map<String, Object>> backends = director.backends().stream().map(b -> {
            Map<String, Object> json = backendJson(b);
            json.put("users", users.getOrDefault(b.id(), 0));
            json.put("connections", connections.getOrDefault(b.id(), 0));
            return json;
        }).toList();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("node", director.nodeName());
        body.put("users", users.values().stream().mapToInt(Integer::intValue).sum());
        body.put("connections", connections.values().stream().mapToInt(Integer::intValue).sum());
        body.put("backends", backends);
        Json.send(exchange, 200, body);
    }

    void map(HttpServerExchange exchange) throws Exception {
        var filter = exchange.getQueryParameters().get("backend");
        String backend = filter == null ? null : filter.getFirst();
        if (backend != null && director.backend(backend).isEmpty()) {
            throw new org.mailpin.director.UnknownBackendException(backend, director.backends());
        }
        List<Map<String, Object>> users = director.assignments().stream()
                .filter(a -> backend == null || a.backendId().equals(backend))
                .map(this::assignmentJson)
                .toList();
        Json.send(exchange, 200, Map.of("users", users));
    }

    void cluster(HttpServerExchange exchange) throws Exception {
        Json.send(exchange, 200, cluster.describe());
    }

    void events(HttpServerExchange exchange) throws Exception {
        var parameter = exchange.getQueryParameters().get("max");
        int max = DEFAULT_EVENTS;
        if (parameter != null) {
            String text = parameter.getFirst();
            try {
                max = Integer.parseInt(text);
            } catch (NumberFormatException e) {
                max = -1;
            }
            if (max < 1 || max > MAX_EVENTS) {
                throw new BadRequestException("invalid max '" + text + "': expected an integer from 1 to " + MAX_EVENTS);
            }
        }
        List<Map<String, Object>> events = director.recentEvents(max).stream().map(StatusApi::eventJson).toList();
        Json.send(exchange, 200, Map.of("events", events));
    }

    private static Map<String, Object> eventJson(ClusterEvent e) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("time", e.time());
        json.put("node", e.node());
        json.put("type", e.type());
        json.put("subject", e.subject());
        json.put("detail", e.detail());
        return json;
    }

    private Map<String, Object> assignmentJson(Assignment a) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("user", a.user());
        json.put("backend", a.backendId());
        json.put("reason", a.reason().label());
        json.put("since", a.since());
        json.put("lastActivity", a.lastActivity());
        json.put("expires", a.expiresAt(director.userExpire()));
        json.put("node", a.node());
        return json;
    }

    static Map<String, Object> backendJson(Backend b) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", b.id());
        json.put("address", b.address());
        json.put("vhosts", b.vhosts());
        json.put("tag", b.tag());
        json.put("up", b.up());
        json.put("healthy", b.healthy());
        json.put("state", b.usable() ? "up" : !b.up() ? "down" : "unhealthy");
        json.put("ports", b.ports());
        json.put("webmail", b.webmail());
        return json;
    }
}
