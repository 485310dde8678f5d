package org.mailpin.gateway.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.mailpin.director.WebSession;
import org.mailpin.director.hazelcast.ClusterQueries;
import org.mailpin.gateway.http.PinCookie;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The session debugging endpoints on a real Hazelcast member: a user's live connections on
 * every node, the nodes that did not reply, and a web session looked up by id or by its pin
 * cookie.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = java.util.concurrent.TimeUnit.SECONDS)
class SessionDebuggingApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant SINCE = Instant.parse("2025-01-06T09:00:00Z");

    private AdminApiFixture fixture;
    private final List<AutoCloseable> opened = new ArrayList<>();

    @BeforeAll
    void start() throws Exception {
        fixture = new AdminApiFixture();
    }

    @AfterAll
    void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    @AfterEach
    void closeConnections() throws Exception {
        for (AutoCloseable connection : opened) {
            connection.close();
        }
        opened.clear();
        fixture.director.webSessions().list().forEach(s -> fixture.director.webSessions().remove(s.id()));
    }

    @Test
    void userLookupListsConnectionsOnEveryNode() throws Exception {
        fixture.listNodes("node-a", "node-b");
        String user = "alice@example.test";
        String backend = fixture.director.assign(user).backendId();
        opened.add(AdminApiFixture.connect(fixture.liveA, "c-a1", user, backend, "192.0.2.10", SINCE));
        opened.add(AdminApiFixture.connect(fixture.liveB, "c-b1", user, backend, "198.51.100.7", SINCE.plusSeconds(5)));
        opened.add(AdminApiFixture.connect(fixture.liveB, "c-b2", "bob@example.test", backend, "198.51.100.8", SINCE));

        JsonNode body = json(fixture.get("/api/v1/users/Alice"));

        assertEquals(user, body.get("user").asText());
        assertEquals(backend, body.get("backend").asText());
        JsonNode connections = body.get("connections");
        assertEquals(2, connections.size(), connections.toString());
        JsonNode first = connections.get(0);
        assertEquals("c-a1", first.get("id").asText());
        assertEquals("node-a", first.get("node").asText());
        assertEquals("imap", first.get("protocol").asText());
        assertEquals(backend, first.get("backend").asText());
        assertEquals("192.0.2.10", first.get("clientIp").asText());
        assertEquals("2025-01-06T09:00:00Z", first.get("since").asText());
        JsonNode second = connections.get(1);
        assertEquals("c-b1", second.get("id").asText());
        assertEquals("node-b", second.get("node").asText());
        assertEquals("198.51.100.7", second.get("clientIp").asText());
        assertEquals("[\"node-a\",\"node-b\"]", body.get("nodesQueried").toString());
        assertEquals("[]", body.get("nodesMissing").toString());
    }

    @Test
    void userLookupNamesSilentNode() throws Exception {
        fixture.listNodes("node-a", "node-b", "node-stopped");

        long start = System.nanoTime();
        JsonNode body = json(fixture.get("/api/v1/users/carol@example.test"));
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

        assertEquals("[\"node-stopped\"]", body.get("nodesMissing").toString());
        assertEquals(3, body.get("nodesQueried").size());
        assertEquals(0, body.get("connections").size());
        assertTrue(elapsed.compareTo(Duration.ofSeconds(3)) < 0, "lookup took " + elapsed);
    }

    @Test
    void unreadableReplyCountsAsMissing() throws Exception {
        fixture.listNodes("node-a", "node-old");
        try (ClusterQueries oldNode = new ClusterQueries(fixture.member, "node-old")) {
            oldNode.register("user-connections", user -> "not json");

            JsonNode body = json(fixture.get("/api/v1/users/carol@example.test"));

            assertEquals("[\"node-old\"]", body.get("nodesMissing").toString());
            assertTrue(body.get("nodesQueried").toString().contains("node-old"), body.toString());
        }
    }

    @Test
    void userLookupListsWebSessions() throws Exception {
        fixture.listNodes("node-a");
        WebSession session = new WebSession("sid-dave-1", "dave@example.test", SINCE, SINCE.plusSeconds(90),
                "203.0.113.5", "node-a");
        fixture.director.webSessions().put(session);

        JsonNode sessions = json(fixture.get("/api/v1/users/dave")).get("webSessions");

        assertEquals(1, sessions.size());
        assertEquals("sid-dave-1", sessions.get(0).get("id").asText());
        assertEquals("2025-01-06T09:01:30Z", sessions.get(0).get("lastRequest").asText());
        assertEquals("203.0.113.5", sessions.get(0).get("clientIp").asText());
    }

    @Test
    void webSessionByIdShowsUserView() throws Exception {
        fixture.listNodes("node-a", "node-b");
        WebSession session = webSession("sid-erin-1", "erin@example.test");
        opened.add(AdminApiFixture.connect(fixture.liveB, "c-erin", "erin@example.test", "be1", "192.0.2.20", SINCE));

        JsonNode body = json(fixture.get("/api/v1/web-sessions/" + session.id()));

        assertEquals("sid-erin-1", body.get("id").asText());
        assertEquals("erin@example.test", body.get("session").get("user").asText());
        assertEquals("203.0.113.9", body.get("session").get("clientIp").asText());
        assertTrue(body.get("pin").isNull(), body.toString());
        assertEquals("erin@example.test", body.get("lookup").get("user").asText());
        assertEquals("node-b", body.get("lookup").get("connections").get(0).get("node").asText());
    }

    @Test
    void webSessionByCookieValue() throws Exception {
        fixture.listNodes("node-a");
        WebSession session = webSession("sid-frank-1", "frank@example.test");
        Instant issued = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        String cookie = fixture.pins.encode(new PinCookie.Pin(session.id(), session.user(), issued));

        JsonNode plain = json(fixture.get("/api/v1/web-sessions/" + cookie));
        JsonNode prefixed = json(fixture.get("/api/v1/web-sessions/" + encode("mailpin_pin=" + cookie)));

        assertEquals("sid-frank-1", plain.get("id").asText());
        JsonNode pin = plain.get("pin");
        assertEquals("frank@example.test", pin.get("user").asText());
        assertEquals(issued.toString(), pin.get("issued").asText());
        assertFalse(pin.get("expired").asBoolean());
        assertTrue(pin.get("matchesSession").asBoolean());
        assertEquals("sid-frank-1", prefixed.get("id").asText());
    }

    @Test
    void expiredCookieStillShown() throws Exception {
        fixture.listNodes("node-a");
        WebSession session = webSession("sid-grace-1", "grace@example.test");
        Instant issued = Instant.now().minus(Duration.ofDays(8)).truncatedTo(ChronoUnit.SECONDS);
        String cookie = fixture.pins.encode(new PinCookie.Pin(session.id(), "mallory@example.test", issued));

        JsonNode pin = json(fixture.get("/api/v1/web-sessions/" + cookie)).get("pin");

        assertTrue(pin.get("expired").asBoolean(), pin.toString());
        assertFalse(pin.get("matchesSession").asBoolean(), pin.toString());
        assertEquals("mallory@example.test", pin.get("user").asText());
    }

    @Test
    void tamperedCookieRejected() throws Exception {
        WebSession session = webSession("sid-heidi-1", "heidi@example.test");
        String cookie = fixture.pins.encode(new PinCookie.Pin(session.id(), session.user(), Instant.now()));
        String tampered = cookie.substring(0, cookie.length() - 2) + (cookie.endsWith("AA") ? "BB" : "AA");

        HttpResponse<String> response = fixture.get("/api/v1/web-sessions/" + tampered);

        assertEquals(400, response.statusCode());
        assertTrue(response.body().contains("signature does not match"), response.body());
    }

    @Test
    void unknownSessionNotFound() throws Exception {
        HttpResponse<String> response = fixture.get("/api/v1/web-sessions/no-such-session");

        assertEquals(404, response.statusCode());
        assertTrue(response.body().contains("no live web session with id no-such-session"), response.body());
    }

    @Test
    void malformedSessionIdRejected() throws Exception {
        HttpResponse<String> response = fixture.get("/api/v1/web-sessions/" + encode("<script>"));

        assertEquals(400, response.statusCode());
        assertTrue(response.body().contains("invalid web session id"), response.body());
    }

    private WebSession webSession(String id, String user) {
        WebSession session = new WebSession(id, user, SINCE, SINCE.plusSeconds(30), "203.0.113.9", "node-a");
        fixture.director.webSessions().put(session);
        return session;
    }

    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        assertEquals(200, response.statusCode(), response.body());
        return JSON.readTree(response.body());
    }
}
