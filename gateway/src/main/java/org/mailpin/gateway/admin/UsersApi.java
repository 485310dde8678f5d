package org.mailpin.gateway.admin;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.mailpin.director.Assignment;
import org.mailpin.director.Backend;
import org.mailpin.director.Director;
import org.mailpin.director.WebSession;
import org.mailpin.director.ring.DovecotRing;
import org.mailpin.gateway.cluster.UserConnections;

import com.fasterxml.jackson.databind.node.ObjectNode;

import io.undertow.server.HttpServerExchange;

/** User verbs: lookup, move and kick. */
final class UsersApi {

    private final Director director;
    private final UserConnections connections;
    private final DovecotRing configuredRing;

    /** @param configured the backends of this node's config file, for the "initial config" field */
    UsersApi(Director director, UserConnections connections, List<Backend> configured) {
        this.director = director;
        this.connections = connections;
        this.configuredRing = DovecotRing.of(configured);
    }

    void lookup(HttpServerExchange exchange) throws Exception {
        Json.send(exchange, 200, describe(user(exchange)));
    }

    /**
     * Returns the debugging view of a normalized user: the assignment and why, the live mail
     * connections on every node that replied, and the live web sessions.
     */
    Map<String, Object> describe(String user) {
        Optional<Assignment> assignment = director.find(user);
        Optional<String> ringChoice = director.ringChoice(user).map(Backend::id);
        Optional<String> initial = configuredRing.lookup(director.normalizer().ringKey(user)).map(Backend::id);

        Map<String, Object> body = new LinkedHashMap<>();
        body.put("user", user);
        body.put("assigned", assignment.isPresent());
        assignment.ifPresent(a -> {
            body.put("backend", a.backendId());
            body.put("address", director.backend(a.backendId()).map(Backend::address).orElse(null));
            body.put("reason", a.reason().label());
            body.put("since", a.since());
            body.put("lastActivity", a.lastActivity());
            body.put("expires", a.expiresAt(director.userExpire()));
            body.put("node", a.node());
        });
        body.put("ringChoice", ringChoice.orElse(null));
        body.put("initialConfig", initial.orElse(null));
        body.put("why", why(assignment, ringChoice));
        body.put("webSessions", director.webSessions().forUser(user).stream().map(UsersApi::sessionJson).toList());

        UserConnections.Result live = connections.find(user);
        body.put("connections", live.connections().stream().map(UsersApi::connectionJson).toList());
        body.put("nodesQueried", live.nodesQueried());
        body.put("nodesMissing", live.nodesMissing());
        return body;
    }

    void move(HttpServerExchange exchange) throws Exception {
        String user = user(exchange);
        ObjectNode body = Json.readObject(exchange);
        Json.allowOnly(body, "backend");
        String backend = Json.text(body, "backend", null);
        if (backend == null) {
            throw new BadRequestException("move needs the target backend, e.g. {\"backend\": \"be2\"}");
        }

        Optional<String> from = director.find(user).map(Assignment::backendId);
        Assignment moved = director.move(user, backend);
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("user", user);
        answer.put("from", from.orElse(null));
        answer.put("backend", moved.backendId());
        answer.put("kicked", from.isPresent() && !from.get().equals(backend));
        Json.send(exchange, 200, answer);
    }

    void kick(HttpServerExchange exchange) throws Exception {
        String user = user(exchange);
        director.kick(user, null);
        Json.send(exchange, 200, Map.of("user", user, "kicked", true));
    }

    // Returns in one line what an administrator would otherwise piece together from the fields.
    private String why(Optional<Assignment> assignment, Optional<String> ringChoice) {
        if (assignment.isEmpty()) {
            return ringChoice.map(id -> "not assigned; the next login goes to the ring choice " + id)
                    .orElse("not assigned, and no backend is usable, so the next login fails");
        }
        Assignment a = assignment.get();
        String sticky = "sticky until " + a.expiresAt(director.userExpire()) + ", later while the user stays active";
        String base = switch (a.reason()) {
            case RING -> "ring choice when assigned at " + a.since() + " by node " + a.node();
            case MOVED_BY_ADMIN -> "moved by an administrator at " + a.since() + " on node " + a.node();
            case BACKEND_DOWN -> "reassigned at " + a.since() + " by node " + a.node()
                    + " because the previous backend was down or removed";
        };
        Optional<Backend> backend = director.backend(a.backendId());
        if (backend.isEmpty() || !backend.get().usable()) {
            return base + "; backend " + a.backendId() + " no longer takes users, so the next login moves the user";
        }
        if (ringChoice.isPresent() && !ringChoice.get().equals(a.backendId())) {
            return base + "; the ring now picks " + ringChoice.get() + ", but the user stays (" + sticky
                    + ", or until a flush)";
        }
        return base + "; " + sticky;
    }

    private String user(HttpServerExchange exchange) {
        String raw = exchange.getQueryParameters().get("user").getFirst();
        // Undertow leaves an encoded slash encoded in the path, so "a/b" arrives as "a%2Fb" and
        // would silently name another user.
        if (raw.toLowerCase(java.util.Locale.ROOT).contains("%2f")) {
            throw new BadRequestException("username '" + raw + "' contains an encoded '/', which the admin API "
                    + "cannot take in a URL path; usernames with '/' are not supported by the admin API");
        }
        try {
            return director.normalizer().normalize(raw);
        } catch (IllegalArgumentException e) {
            throw new BadRequestException(e.getMessage());
        }
    }

    static Map<String, Object> connectionJson(UserConnections.Connection c) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", c.id());
        json.put("node", c.node());
        json.put("protocol", c.protocol());
        json.put("backend", c.backend());
        json.put("clientIp", c.clientIp());
        json.put("since", c.since());
        return json;
    }

    static Map<String, Object> sessionJson(WebSession s) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", s.id());
        json.put("user", s.user());
        json.put("created", s.created());
        json.put("lastRequest", s.lastRequest());
        json.put("clientIp", s.clientIp());
        json.put("node", s.node());
        return json;
    }
}
