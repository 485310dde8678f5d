package org.mailpin.director.hazelcast;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mailpin.director.FreePorts;
import org.mailpin.director.WebSession;

import com.hazelcast.core.HazelcastInstance;

/** HazelcastWebSessions on one real embedded member. */
class HazelcastWebSessionsTest {

    private static final Instant START = Instant.parse("2025-01-06T09:00:00Z");

    private static HazelcastInstance member;
    private HazelcastWebSessions sessions;

    @BeforeAll
    static void startMember() {
        member = HazelcastMembers.start(new ClusterSettings("mailpin-test-" + UUID.randomUUID(), "127.0.0.1",
                FreePorts.find("127.0.0.1"), List.of()), Duration.ofMinutes(15), Duration.ofMinutes(30));
    }

    @AfterAll
    static void stopMember() {
        if (member != null) {
            member.shutdown();
        }
    }

    @BeforeEach
    void clear() {
        member.getMap(MapNames.WEB_SESSIONS).clear();
        sessions = new HazelcastWebSessions(member.getMap(MapNames.WEB_SESSIONS), () -> START, Duration.ofSeconds(30));
    }

    @Test
    void forUserNewestFirst() {
        sessions.put(session("s1", "alice@example.test", 0));
        sessions.put(session("s2", "bob@example.test", 1));
        sessions.put(session("s3", "alice@example.test", 2));

        assertEquals(List.of("s3", "s1"), ids(sessions.forUser("alice@example.test")));
        assertEquals(List.of(), ids(sessions.forUser("carol@example.test")));
    }

    // % and _ are LIKE wildcards, so an unescaped pattern for "a_b" would also match "axb"; regular
    // expression characters must match themselves too.
    @Test
    void wildcardCharactersMatchThemselves() {
        sessions.put(session("s1", "a_b@example.test", 0));
        sessions.put(session("s2", "axb@example.test", 1));
        sessions.put(session("s3", "100%@example.test", 2));
        sessions.put(session("s4", "1000@example.test", 3));
        sessions.put(session("s5", "a.b+c*@example.test", 4));
        sessions.put(session("s6", "axb+c*@example.test", 5));

        assertEquals(List.of("s1"), ids(sessions.forUser("a_b@example.test")));
        assertEquals(List.of("s5"), ids(sessions.forUser("a.b+c*@example.test")));
        assertEquals(List.of("s3"), ids(sessions.forUser("100%@example.test")));
    }

    @Test
    void userEqualToAnotherFieldNotMatched() {
        sessions.put(new WebSession("s1", "bob@example.test", START, START, "192.0.2.7", "gw1"));

        assertEquals(List.of(), ids(sessions.forUser("192.0.2.7")));
        assertEquals(List.of(), ids(sessions.forUser("gw1")));
    }

    private static WebSession session(String id, String user, int minute) {
        Instant created = START.plusSeconds(60L * minute);
        return new WebSession(id, user, created, created, "192.0.2.1", "gw1");
    }

    private static List<String> ids(List<WebSession> found) {
        return found.stream().map(WebSession::id).toList();
    }
}
