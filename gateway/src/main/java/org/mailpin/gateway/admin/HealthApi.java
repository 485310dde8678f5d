package org.mailpin.gateway.admin;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.mailpin.director.Backend;
import org.mailpin.director.Director;
import org.mailpin.gateway.cluster.ClusterView;
import org.mailpin.gateway.health.HealthRecord;
import org.mailpin.gateway.health.HealthStore;

import io.undertow.server.HttpServerExchange;

/**
 * {@code GET /api/v1/health}: each backend's health flag with the streaks and recent rounds that
 * the checking node published, so every node returns the same response.
 */
final class HealthApi {

    private final Director director;
    private final ClusterView cluster;
    private final HealthStore store;

    HealthApi(Director director, ClusterView cluster, HealthStore store) {
        this.director = director;
        this.cluster = cluster;
        this.store = store;
    }

    void health(HttpServerExchange exchange) throws Exception {
        Map<String, HealthRecord> records = store.all();
        List<Map<String, Object>> backends = director.backends().stream()
                .map(b -> backendJson(b, records.get(b.id())))
                .toList();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("checker", cluster.leaseHolder(ClusterView.HEALTH_LEASE));
        body.put("backends", backends);
        Json.send(exchange, 200, body);
    }

    // The flags come from the backend list, which is authoritative; the record adds what the checker saw.
    private static Map<String, Object> backendJson(Backend b, HealthRecord record) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", b.id());
        json.put("address", b.address());
        json.put("up", b.up());
        json.put("healthy", b.healthy());
        json.put("state", b.usable() ? "up" : !b.up() ? "down" : "unhealthy");
        json.put("passes", record == null ? 0 : record.passes());
        json.put("failures", record == null ? 0 : record.failures());
        json.put("lastCheck", record == null ? null : record.lastCheck());
        json.put("lastFailure", record == null ? null : record.lastFailure());
        json.put("lastFailureTime", record == null ? null : record.lastFailureTime());
        json.put("checkedBy", record == null ? null : record.checker());
        json.put("history", record == null ? List.of() : record.history());
        return json;
    }
}
