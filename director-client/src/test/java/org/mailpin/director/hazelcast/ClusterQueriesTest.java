package org.mailpin.director.hazelcast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mailpin.director.FreePorts;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;

/**
 * Cluster queries on one real member and one real client of it. Several {@link ClusterQueries}
 * on one Hazelcast instance stand for several gateway nodes, because a node is identified only by
 * the name it is given.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClusterQueriesTest {

    private static final Duration WAIT = Duration.ofSeconds(1);

    private static HazelcastInstance member;
    private static HazelcastInstance client;

    private final List<ClusterQueries> started = new ArrayList<>();

    @BeforeAll
    static void startCluster() {
        String cluster = "mailpin-test-" + UUID.randomUUID();
        int port = FreePorts.find("127.0.0.1");
        member = HazelcastMembers.start(new ClusterSettings(cluster, "127.0.0.1", port, List.of()),
                Duration.ofMinutes(15), Duration.ofMinutes(30));
        client = HazelcastClients.start(new ClientSettings(cluster, List.of("127.0.0.1:" + port)),
                Duration.ofMinutes(15), Duration.ofMinutes(30));
    }

    @AfterAll
    static void stopCluster() {
        if (client != null) {
            client.shutdown();
        }
        if (member != null) {
            member.shutdown();
        }
    }

    @AfterEach
    void closeNodes() {
        started.forEach(ClusterQueries::close);
        started.clear();
        nodesMap().clear();
    }

    @Test
    void askCollectsEveryListedNode() {
        ClusterQueries nodeA = node(member, "node-a", "a:");
        node(member, "node-b", "b:");
        list("node-a", "node-b");

        long start = System.nanoTime();
        ClusterQueries.Replies replies = nodeA.ask("echo", "alice@example.test", WAIT);
        long elapsed = System.nanoTime() - start;

        assertEquals(Map.of("node-a", "a:alice@example.test", "node-b", "b:alice@example.test"), replies.byNode());
        assertEquals(Set.of("node-a", "node-b"), replies.queried());
        assertEquals(Set.of(), replies.missing());
        assertTrue(elapsed < WAIT.toNanos(), "waited " + elapsed / 1_000_000 + " ms although every node replied");
    }

    @Test
    void silentNodeListedAsMissingAfterWait() {
        ClusterQueries nodeA = node(member, "node-a", "a:");
        list("node-a", "node-gone");

        long start = System.nanoTime();
        ClusterQueries.Replies replies = nodeA.ask("echo", "bob", WAIT);
        long elapsed = System.nanoTime() - start;

        assertEquals(Map.of("node-a", "a:bob"), replies.byNode());
        assertEquals(Set.of("node-gone"), replies.missing());
        assertTrue(elapsed >= WAIT.toNanos(), "returned after " + elapsed / 1_000_000 + " ms, before the wait ended");
        assertTrue(elapsed < WAIT.toNanos() * 3, "returned after " + elapsed / 1_000_000 + " ms");
    }

    @Test
    void failingHandlerCountsAsMissing() {
        ClusterQueries nodeA = node(member, "node-a", "a:");
        ClusterQueries nodeB = new ClusterQueries(member, "node-b");
        started.add(nodeB);
        nodeB.register("echo", argument -> {
            throw new IllegalStateException("handler failure for the test");
        });
        list("node-a", "node-b");

        ClusterQueries.Replies replies = nodeA.ask("echo", "carol", WAIT);

        assertEquals(Set.of("node-a"), replies.byNode().keySet());
        assertEquals(Set.of("node-b"), replies.missing());
    }

    @Test
    void unlistedNodeReplyKept() {
        ClusterQueries nodeA = node(member, "node-a", "a:");
        node(member, "node-new", "new:");
        list("node-a", "node-gone");

        ClusterQueries.Replies replies = nodeA.ask("echo", "dave", WAIT);

        assertEquals("new:dave", replies.byNode().get("node-new"));
        assertTrue(replies.queried().contains("node-new"), replies.queried().toString());
        assertEquals(Set.of("node-gone"), replies.missing());
    }

    @Test
    void argumentWithTabsArrivesWhole() {
        ClusterQueries nodeA = node(member, "node-a", "a:");
        node(member, "node-b", "b:");
        list("node-a", "node-b");

        ClusterQueries.Replies replies = nodeA.ask("echo", "one\ttwo\tthree", WAIT);

        assertEquals("b:one\ttwo\tthree", replies.byNode().get("node-b"));
    }

    @Test
    void clientAsksMemberAndMemberAsksClient() {
        ClusterQueries onMember = node(member, "node-member", "m:");
        ClusterQueries onClient = node(client, "node-client", "c:");
        list("node-member", "node-client");

        ClusterQueries.Replies fromClient = onClient.ask("echo", "erin", WAIT);
        ClusterQueries.Replies fromMember = onMember.ask("echo", "frank", WAIT);

        assertEquals(Map.of("node-member", "m:erin", "node-client", "c:erin"), fromClient.byNode());
        assertEquals(Set.of(), fromClient.missing());
        assertEquals(Map.of("node-member", "m:frank", "node-client", "c:frank"), fromMember.byNode());
        assertEquals(Set.of(), fromMember.missing());
    }

    @Test
    void kindWithTabRejected() {
        ClusterQueries nodeA = node(member, "node-a", "a:");

        assertThrows(IllegalArgumentException.class, () -> nodeA.ask("bad\tkind", "x", WAIT));
        assertThrows(IllegalArgumentException.class, () -> nodeA.register("", argument -> argument));
        assertThrows(IllegalArgumentException.class, () -> new ClusterQueries(member, "bad\tnode"));
    }

    /** Starts a node that replies to "echo" with the prefix followed by the argument. */
    private ClusterQueries node(HazelcastInstance hazelcast, String name, String prefix) {
        ClusterQueries queries = new ClusterQueries(hazelcast, name);
        queries.register("echo", argument -> prefix + argument);
        started.add(queries);
        return queries;
    }

    private static void list(String... names) {
        for (String name : names) {
            nodesMap().set(name, "{}");
        }
    }

    private static IMap<String, String> nodesMap() {
        return member.getMap(MapNames.NODES);
    }
}
