package org.mailpin.director.hazelcast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mailpin.director.Assignment;
import org.mailpin.director.Backend;
import org.mailpin.director.BackendPorts;
import org.mailpin.director.DirectorSettings;
import org.mailpin.director.FreePorts;
import org.mailpin.director.UsernameNormalizer;

import com.hazelcast.core.HazelcastInstance;

/** Two directors on two members of one cluster, as on two gateway nodes. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class HazelcastDirectorClusterTest {

    private static final Duration USER_EXPIRE = Duration.ofMinutes(15);
    private static final List<Backend> BACKENDS = List.of(
            backend("be1", "127.0.0.31", 100),
            backend("be2", "127.0.0.32", 50),
            backend("be3", "127.0.0.33", 200));

    private static HazelcastInstance memberA;
    private static HazelcastInstance memberB;

    // Both members start at once and list each other, like two gateway nodes booting together.
    @BeforeAll
    static void startMembers() {
        String cluster = "mailpin-test-" + UUID.randomUUID();
        int portA = FreePorts.find("127.0.0.1");
        int portB = FreePorts.find("127.0.0.1");
        CompletableFuture<HazelcastInstance> startingA = CompletableFuture.supplyAsync(() -> HazelcastMembers.start(
                new ClusterSettings(cluster, "127.0.0.1", portA, List.of("127.0.0.1:" + portB)),
                USER_EXPIRE, Duration.ofMinutes(30)));
        CompletableFuture<HazelcastInstance> startingB = CompletableFuture.supplyAsync(() -> HazelcastMembers.start(
                new ClusterSettings(cluster, "127.0.0.1", portB, List.of("127.0.0.1:" + portA)),
                USER_EXPIRE, Duration.ofMinutes(30)));
        memberA = startingA.join();
        memberB = startingB.join();
    }

    @AfterAll
    static void stopMembers() {
        if (memberA != null) {
            memberA.shutdown();
        }
        if (memberB != null) {
            memberB.shutdown();
        }
    }

    @Test
    void membersFormOneCluster() {
        assertEquals(2, memberA.getCluster().getMembers().size());
        assertEquals(2, memberB.getCluster().getMembers().size());
    }

    // Each node records its own name in the assignments it creates, so a node that overwrote the
    // other's assignment instead of adopting it would return a different record.
    @Test
    void racingNodesAgreeOnNewUsers() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2025-01-06T09:00:00Z"));
        List<String> users = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            users.add("race" + i + "@example.test");
        }

        ExecutorService threads = Executors.newFixedThreadPool(2);
        try (HazelcastDirector nodeA = new HazelcastDirector(memberA, settings("node-a"), clock);
             HazelcastDirector nodeB = new HazelcastDirector(memberB, settings("node-b"), clock)) {
            CyclicBarrier start = new CyclicBarrier(2);
            Future<Map<String, Assignment>> fromA = threads.submit(() -> assignAll(nodeA, users, start));
            Future<Map<String, Assignment>> fromB = threads.submit(() -> assignAll(nodeB, users, start));
            Map<String, Assignment> resultA = fromA.get(120, TimeUnit.SECONDS);
            Map<String, Assignment> resultB = fromB.get(120, TimeUnit.SECONDS);

            List<String> disagreements = new ArrayList<>();
            List<String> notStored = new ArrayList<>();
            for (String user : users) {
                if (!resultA.get(user).equals(resultB.get(user))) {
                    disagreements.add(resultA.get(user) + " vs " + resultB.get(user));
                }
                if (!nodeA.find(user).orElseThrow().equals(resultA.get(user))) {
                    notStored.add(user);
                }
            }

            assertEquals(List.of(), disagreements);
            assertEquals(List.of(), notStored);
            assertEquals(500, memberB.getMap(MapNames.ASSIGNMENTS).size());
        } finally {
            threads.shutdownNow();
        }
    }

    // The backend map's entry listener rebuilds the other node's ring; the promise to
    // administrators is that a change reaches every node within one second.
    @Test
    void adminChangesReachOtherNodeWithinOneSecond() {
        MutableClock clock = new MutableClock(Instant.parse("2025-01-06T09:00:00Z"));
        try (HazelcastDirector nodeA = new HazelcastDirector(memberA, settings("node-a"), clock);
             HazelcastDirector nodeB = new HazelcastDirector(memberB, settings("node-b"), clock)) {
            nodeA.updateBackend("be3", b -> b.withUp(false));
            assertSeenWithinOneSecond(() -> !nodeB.backend("be3").orElseThrow().up());

            nodeA.updateBackend("be2", b -> b.withVhosts(7));
            assertSeenWithinOneSecond(() -> nodeB.backend("be2").orElseThrow().vhosts() == 7);

            nodeA.addBackend(backend("be4", "127.0.0.34", 10));
            assertSeenWithinOneSecond(() -> nodeB.backend("be4").isPresent());

            nodeA.removeBackend("be4");
            assertSeenWithinOneSecond(() -> nodeB.backend("be4").isEmpty());

            nodeB.move("mover@example.test", "be1");
            assertSeenWithinOneSecond(() -> nodeA.find("mover@example.test").orElseThrow().backendId().equals("be1"));
        } finally {
            memberA.getMap(MapNames.ASSIGNMENTS).remove("mover@example.test");
        }
    }

    private static void assertSeenWithinOneSecond(java.util.function.BooleanSupplier condition) {
        long start = System.nanoTime();
        while (!condition.getAsBoolean()) {
            long waited = System.nanoTime() - start;
            assertTrue(waited < TimeUnit.SECONDS.toNanos(1), "change not seen on the other node within 1 s");
            Thread.onSpinWait();
        }
    }

    private static Map<String, Assignment> assignAll(HazelcastDirector director, List<String> users,
                                                     CyclicBarrier start) throws Exception {
        start.await(30, TimeUnit.SECONDS);
        Map<String, Assignment> assignments = new LinkedHashMap<>();
        for (String user : users) {
            assignments.put(user, director.assign(user));
        }
        return assignments;
    }

    private static DirectorSettings settings(String node) {
        return new DirectorSettings(node, USER_EXPIRE, Duration.ofMinutes(30), UsernameNormalizer.dovecotDefault(),
                BACKENDS);
    }

    private static Backend backend(String id, String ip, int vhosts) {
        return new Backend(id, ip, vhosts, "", BackendPorts.DEFAULTS, null, true);
    }
}
