package org.mailpin.gateway.admin;

import java.time.Instant;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import org.mailpin.director.Director;
import org.mailpin.director.WebSession;
import org.mailpin.gateway.http.PinCookie;

import io.undertow.server.HttpServerExchange;

/** Web session verbs: the list, and the debugging view of one session by id or pin cookie value. */
final class SessionsApi {

    private final Director director;
    private final UsersApi users;
    private final PinCookie pins;
    private final InstantSource clock;

    SessionsApi(Director director, UsersApi users, PinCookie pins, InstantSource clock) {
        this.director = director;
        this.users = users;
        this.pins = pins;
        this.clock = clock;
    }

    void list(HttpServerExchange exchange) throws Exception {
        Json.send(exchange, 200, Map.of("sessions",
                director.webSessions().list().stream().map(UsersApi::sessionJson).toList()));
    }

    /**
     * Shows one web session and its user's debugging view. The path segment is a session id, or
     * the value of the browser's {@code mailpin_pin} cookie, which is verified before its session
     * id is used. A leading {@code mailpin_pin=} is ignored, so a support person may paste the
     * cookie as the browser's developer tools copy it.
     */
    void lookup(HttpServerExchange exchange) throws Exception {
        String value = exchange.getQueryParameters().get("id").getFirst().strip();
        if (value.startsWith(PinCookie.NAME + "=")) {
            value = value.substring(PinCookie.NAME.length() + 1);
        }
        Optional<PinCookie.Pin> pin = readPin(value);
        String id = pin.map(PinCookie.Pin::sessionId).orElse(value);

        Optional<WebSession> session = director.webSessions().find(id);
        if (session.isEmpty()) {
            Json.error(exchange, 404, "no live web session with id " + id
                    + pin.map(p -> " (pin of user " + p.user() + ", issued " + p.issued() + ")").orElse("")
                    + ": it ended with a logout, a kick or web.session-idle without requests, or never existed");
            return;
        }

        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", id);
        body.put("session", UsersApi.sessionJson(session.get()));
        body.put("pin", pin.map(p -> pinJson(p, session.get())).orElse(null));
        body.put("lookup", users.describe(session.get().user()));
        Json.send(exchange, 200, body);
    }

    // A pin cookie contains a dot between payload and signature, and a session id never does.
    private Optional<PinCookie.Pin> readPin(String value) {
        if (!value.matches("[A-Za-z0-9_.-]+")) {
            throw new BadRequestException("invalid web session id '" + value + "': expected a session id or a "
                    + PinCookie.NAME + " cookie value, which contain only letters, digits, '-', '_' and '.'");
        }
        if (value.indexOf('.') < 0) {
            return Optional.empty();
        }
        Optional<PinCookie.Pin> pin = pins.verify(value);
        if (pin.isEmpty()) {
            throw new BadRequestException("the value looks like a " + PinCookie.NAME + " cookie, but its signature "
                    + "does not match this gateway's web.secret-file; paste the whole value, or only the session id "
                    + "from GET /api/v1/sessions");
        }
        return pin;
    }

    private Map<String, Object> pinJson(PinCookie.Pin pin, WebSession session) {
        Instant expires = pins.expiresAt(pin);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("user", pin.user());
        json.put("issued", pin.issued());
        json.put("expires", expires);
        json.put("expired", clock.instant().isAfter(expires));
        // The gateway ignores a pin whose user differs from its session's user.
        json.put("matchesSession", pin.user().equals(session.user()));
        return json;
    }
}
