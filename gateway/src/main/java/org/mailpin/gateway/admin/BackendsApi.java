package org.mailpin.gateway.admin;

import java.util.Map;

import org.mailpin.director.Backend;
import org.mailpin.director.BackendPorts;
import org.mailpin.director.Director;

import com.fasterxml.jackson.databind.node.ObjectNode;

import io.undertow.server.HttpServerExchange;

/**
 * Backend verbs: list, add, update (vhosts, tag), up, down, remove. Every change goes to the shared
 * backend map, which each node's director watches, so all nodes apply it within a second.
 */
final class BackendsApi {

    private final Director director;

    BackendsApi(Director director) {
        this.director = director;
    }

    void list(HttpServerExchange exchange) throws Exception {
        Json.send(exchange, 200, Map.of("backends", director.backends()));
    }

    void add(HttpServerExchange exchange) throws Exception {
        ObjectNode body = Json.readObject(exchange);
        Json.allowOnly(body, "id", "address", "vhosts", "tag", "imap-port", "pop3-port", "lmtp-port", "sieve-port",
                "submission-port", "webmail");
        String id = Json.text(body, "id", null);
        String address = Json.text(body, "address", null);
        if (id == null || address == null) {
            throw new BadRequestException("a new backend needs 'id' and 'address', e.g. "
                    + "{\"id\": \"be3\", \"address\": \"10.0.0.13\", \"vhosts\": 100}");
        }
        BackendPorts d = BackendPorts.DEFAULTS;
        BackendPorts ports = new BackendPorts(Json.integer(body, "imap-port", d.imap()),
                Json.integer(body, "pop3-port", d.pop3()), Json.integer(body, "lmtp-port", d.lmtp()),
                Json.integer(body, "sieve-port", d.sieve()), Json.integer(body, "submission-port", d.submission()));
        Backend backend = new Backend(id, address, Json.integer(body, "vhosts", 100), Json.text(body, "tag", ""),
                ports, Json.text(body, "webmail", null), true);

        director.addBackend(backend);
        Json.send(exchange, 201, backend);
    }

    void update(HttpServerExchange exchange) throws Exception {
        ObjectNode body = Json.readObject(exchange);
        Json.allowOnly(body, "vhosts", "tag");
        Integer vhosts = Json.integer(body, "vhosts", null);
        String tag = Json.text(body, "tag", null);
        if (vhosts == null && tag == null) {
            throw new BadRequestException("nothing to update: send 'vhosts' and/or 'tag', e.g. {\"vhosts\": 50}");
        }

        Backend updated = director.updateBackend(id(exchange), b -> {
            Backend changed = vhosts == null ? b : b.withVhosts(vhosts);
            return tag == null ? changed : changed.withTag(tag);
        });
        Json.send(exchange, 200, updated);
    }

    void up(HttpServerExchange exchange) throws Exception {
        Json.send(exchange, 200, director.updateBackend(id(exchange), b -> b.withUp(true)));
    }

    void down(HttpServerExchange exchange) throws Exception {
        Json.send(exchange, 200, director.updateBackend(id(exchange), b -> b.withUp(false)));
    }

    void remove(HttpServerExchange exchange) throws Exception {
        Json.send(exchange, 200, Map.of("removed", director.removeBackend(id(exchange))));
    }

    private static String id(HttpServerExchange exchange) {
        return exchange.getQueryParameters().get("id").getFirst();
    }
}
