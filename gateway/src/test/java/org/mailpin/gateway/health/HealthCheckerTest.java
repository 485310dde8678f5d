package org.mailpin.gateway.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mailpin.director.Backend;
import org.mailpin.director.BackendPorts;
import org.mailpin.director.ClusterEvent;
import org.mailpin.director.DirectorSettings;
import org.mailpin.director.UsernameNormalizer;
import org.mailpin.director.hazelcast.HazelcastDirector;
import org.mailpin.director.hazelcast.MapNames;
import org.mailpin.gateway.cluster.ClusterView;

/**
 * The checker's rounds on a real director over an embedded member, with scripted check results:
 * rise and fall, the flags it writes, the lease between two nodes and the published records.
 */
@Timeout(120)
class HealthCheckerTest {

    private static final List<Backend> BACKENDS = List.of(
            new Backend("be1", "127.0.0.41", 100, "", BackendPorts.DEFAULTS, null, true),
            new Backend("be2", "127.0.0.42", 100, "", BackendPorts.DEFAULTS, null, true));
    private static final String REFUSED = "imap: connect to 127.0.0.42:143 refused";

    private static SharedState state;

    private final Map<String, List<String>> failures = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> rounds = new ConcurrentHashMap<>();
    private final List<AutoCloseable> open = new ArrayList<>();
    private HazelcastDirector director;
    private HealthStore store;

    @BeforeAll
    static void start() {
        state = new SharedState();
    }

    @AfterAll
    static void stop() {
        if (state != null) {
            state.close();
        }
    }

    @BeforeEach
    void createDirector() {
        director = director("node-a");
        store = new HealthStore(state.member);
    }

    @AfterEach
    void clearSharedState() throws Exception {
        for (AutoCloseable closeable : open.reversed()) {
            closeable.close();
        }
        for (String map : List.of(MapNames.BACKENDS, MapNames.HEALTH, MapNames.LEASES)) {
            state.member.getMap(map).clear();
        }
    }

    @Test
    void failingBackendTurnsUnhealthyAtFall() {
        HealthChecker checker = checker(director, "node-a");
        failures.put("be2", List.of(REFUSED));

        checker.tick();
        checker.tick();
        assertTrue(director.backend("be2").orElseThrow().healthy(), "after 2 of 3 failed rounds");
        checker.tick();

        Backend be2 = director.backend("be2").orElseThrow();
        assertFalse(be2.healthy(), "after 3 failed rounds");
        assertTrue(be2.up(), "the checker never writes up");
        assertTrue(director.backend("be1").orElseThrow().healthy(), "be1 passed every round");
    }

    @Test
    void transitionsGoToEventLog() {
        Instant start = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        HealthChecker checker = checker(director, "node-a");
        failures.put("be2", List.of(REFUSED));
        for (int i = 0; i < 3; i++) {
            checker.tick();
        }
        failures.remove("be2");
        checker.tick();
        checker.tick();

        // The event log outlives each test, so only this test's events count.
        List<ClusterEvent> health = director.recentEvents(50).stream()
                .filter(e -> e.type().equals("health") && !e.time().isBefore(start))
                .toList();

        assertEquals(2, health.size(), health.toString());
        assertEquals("be2", health.get(1).subject());
        assertEquals("unhealthy: " + REFUSED, health.get(1).detail());
        assertEquals("healthy again after 2 passes", health.get(0).detail());
    }

    @Test
    void passingChecksLeaveAdministratorsDown() {
        HealthChecker checker = checker(director, "node-a");
        director.updateBackend("be1", b -> b.withUp(false));

        for (int i = 0; i < 5; i++) {
            checker.tick();
        }

        Backend be1 = director.backend("be1").orElseThrow();
        assertFalse(be1.up(), "an administrator's down stays while the checks pass");
        assertTrue(be1.healthy());
        assertEquals(5, store.read("be1").orElseThrow().passes());
    }

    @Test
    void downBackendStillTurnsUnhealthy() {
        HealthChecker checker = checker(director, "node-a");
        director.updateBackend("be2", b -> b.withUp(false));
        failures.put("be2", List.of(REFUSED));

        for (int i = 0; i < 3; i++) {
            checker.tick();
        }
        failures.remove("be2");
        for (int i = 0; i < 2; i++) {
            checker.tick();
        }

        Backend be2 = director.backend("be2").orElseThrow();
        assertTrue(be2.healthy(), "healthy again after rise passes");
        assertFalse(be2.up(), "still down: only an administrator brings it up");
    }

    @Test
    void onlyLeaseHolderRunsChecks() {
        HealthChecker a = checker(director, "node-a");
        HealthChecker b = checker(director("node-b"), "node-b");

        a.tick();
        b.tick();
        a.tick();
        b.tick();

        assertTrue(a.holding());
        assertFalse(b.holding());
        assertEquals(2, rounds.get("be1").get(), "rounds of be1: node-a's two ticks only");
        assertEquals("node-a", new ClusterView(state.member, false).leaseHolder(ClusterView.HEALTH_LEASE));
    }

    @Test
    void newCheckerContinuesStreak() throws Exception {
        HealthChecker a = checker(director, "node-a");
        HazelcastDirector directorB = director("node-b");
        HealthChecker b = checker(directorB, "node-b");
        failures.put("be2", List.of(REFUSED));
        a.tick();
        a.tick();

        a.close();
        b.tick();

        assertTrue(b.holding(), "node-b took the released lease");
        assertFalse(directorB.backend("be2").orElseThrow().healthy(), "node-b counted the third failure in a row");
        assertEquals("node-b", store.read("be2").orElseThrow().checker());
    }

    @Test
    void recordKeepsLastFailureAndHistory() {
        HealthChecker checker = checker(director, "node-a");
        failures.put("be2", List.of(REFUSED, "pop3: greeting timed out after 3 s"));
        checker.tick();
        failures.remove("be2");
        for (int i = 0; i < HealthRecord.HISTORY + 5; i++) {
            checker.tick();
        }

        HealthRecord be2 = store.read("be2").orElseThrow();

        assertTrue(be2.healthy());
        assertEquals(HealthRecord.HISTORY + 5, be2.passes());
        assertEquals(0, be2.failures());
        assertEquals(REFUSED + "; pop3: greeting timed out after 3 s", be2.lastFailure());
        assertEquals(HealthRecord.HISTORY, be2.history().size());
        assertTrue(be2.history().stream().allMatch(HealthRecord.Round::passed), "the failed round aged out");
        assertNull(store.read("be1").orElseThrow().lastFailure());
    }

    @Test
    void removedBackendLosesRecord() {
        HealthChecker checker = checker(director, "node-a");
        checker.tick();

        director.removeBackend("be2");
        checker.tick();

        assertEquals(Set.of("be1"), store.all().keySet());
    }

    @Test
    void disabledNodeClearsFlagsWithoutChecker() {
        director.updateBackend("be2", b -> b.withHealthy(false));
        Lease lease = new Lease(state.member, ClusterView.HEALTH_LEASE, "node-a", Duration.ofSeconds(10));

        List<String> cleared = HealthChecker.clearFlagsWithoutChecker(director, lease);

        assertEquals(List.of("be2"), cleared);
        assertTrue(director.backend("be2").orElseThrow().healthy());
    }

    @Test
    void disabledNodeLeavesFlagsToChecker() {
        director.updateBackend("be2", b -> b.withHealthy(false));
        new Lease(state.member, ClusterView.HEALTH_LEASE, "node-b", Duration.ofSeconds(10)).acquireOrRenew();
        Lease lease = new Lease(state.member, ClusterView.HEALTH_LEASE, "node-a", Duration.ofSeconds(10));

        List<String> cleared = HealthChecker.clearFlagsWithoutChecker(director, lease);

        assertEquals(List.of(), cleared);
        assertFalse(director.backend("be2").orElseThrow().healthy());
    }

    private HazelcastDirector director(String node) {
        HazelcastDirector created = new HazelcastDirector(state.member, new DirectorSettings(node,
                SharedState.USER_EXPIRE, SharedState.WEB_SESSION_IDLE,
                new UsernameNormalizer(true, null, UsernameNormalizer.DEFAULT_HASH_FORMAT), BACKENDS),
                InstantSource.system());
        open.add(created);
        return created;
    }

    private HealthChecker checker(HazelcastDirector on, String node) {
        HealthSettings settings = new HealthSettings(true, Duration.ofSeconds(1), Duration.ofMillis(500), 2, 3,
                Set.of(), false, null, null, null);
        BackendChecks scripted = (backend, executor) -> {
            rounds.computeIfAbsent(backend.id(), id -> new AtomicInteger()).incrementAndGet();
            return failures.getOrDefault(backend.id(), List.of());
        };
        HealthChecker checker = new HealthChecker(on, settings,
                new Lease(state.member, ClusterView.HEALTH_LEASE, node, Duration.ofSeconds(10)),
                new HealthStore(state.member), scripted, InstantSource.system());
        open.add(checker);
        return checker;
    }
}
