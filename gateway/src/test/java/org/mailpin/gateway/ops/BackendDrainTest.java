package org.mailpin.gateway.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.Closeable;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.mailpin.director.Backend;
import org.mailpin.director.BackendPorts;
import org.mailpin.gateway.mail.LiveConnections;
import org.mailpin.gateway.mail.Protocol;
import org.mailpin.gateway.mail.StubDirector;

class BackendDrainTest {

    private static final Backend BE1 = new Backend("be1", "127.0.0.31", 100, "", BackendPorts.DEFAULTS, null, true);
    private static final Backend BE2 = new Backend("be2", "127.0.0.32", 100, "", BackendPorts.DEFAULTS, null, true);

    private final LiveConnections live = new LiveConnections(new StubDirector(), Duration.ofMinutes(1));
    private final Set<String> closed = ConcurrentHashMap.newKeySet();
    private final java.util.Map<String, Integer> drainedCounts = new ConcurrentHashMap<>();
    private final BackendDrain drain = new BackendDrain(live, List.of(BE1, BE2), 1000,
            (backendId, count) -> drainedCounts.merge(backendId, count, Integer::sum));

    @AfterEach
    void close() {
        drain.close();
        live.close();
    }

    @Test
    void downClosesOnlyThatBackendsConnections() throws Exception {
        register("c1", "alice", "be1");
        register("c2", "bob", "be2");
        register("c3", "carol", "be2");

        drain.backendsChanged(List.of(BE1, BE2.withUp(false)));

        awaitClosed(Set.of("c2", "c3"));
        Thread.sleep(100);
        assertEquals(Set.of("c2", "c3"), closed);
        assertEquals(java.util.Map.of("be2", 2), drainedCounts);
    }

    @Test
    void unhealthyAndRemovedDrainToo() throws Exception {
        register("c1", "alice", "be1");
        register("c2", "bob", "be2");

        drain.backendsChanged(List.of(BE1.withHealthy(false), BE2));
        awaitClosed(Set.of("c1"));
        drain.backendsChanged(List.of(BE1.withHealthy(false)));

        awaitClosed(Set.of("c1", "c2"));
    }

    @Test
    void changeThatKeepsBackendUsableClosesNothing() throws Exception {
        register("c1", "alice", "be1");

        drain.backendsChanged(List.of(BE1.withVhosts(5), BE2));

        Thread.sleep(200);
        assertEquals(Set.of(), closed);
    }

    @Test
    void slowRateStopsWhenBackendReturns() throws Exception {
        try (BackendDrain slow = new BackendDrain(live, List.of(BE1, BE2), 1, (backendId, count) -> { })) {
            for (int i = 0; i < 5; i++) {
                register("c" + i, "user" + i, "be1");
            }

            slow.backendsChanged(List.of(BE1.withUp(false), BE2));
            awaitClosed(Set.of("c0"));
            slow.backendsChanged(List.of(BE1, BE2));

            Thread.sleep(2500);
            assertTrue(closed.size() <= 2, "the drain went on after be1 came back: " + closed);
        }
    }

    private void register(String id, String user, String backendId) {
        Closeable connection = () -> closed.add(id);
        live.register(new LiveConnections.Entry(id, user, Protocol.IMAP, backendId, "192.0.2.1", Instant.now(),
                connection));
    }

    private void awaitClosed(Set<String> expected) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!closed.containsAll(expected)) {
            assertTrue(System.nanoTime() < deadline, "closed " + closed + ", expected " + expected);
            Thread.sleep(10);
        }
    }
}
