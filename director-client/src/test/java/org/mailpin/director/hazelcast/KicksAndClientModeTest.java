package org.mailpin.director.hazelcast;

import static org.junit.jupiter.api.Assertions.assertTrue;

import static org.junit.jupiter.api.Assertions.assertThrows;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Duration;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
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

/** Kick events between two members, and a director on a Hazelcast client of the same cluster. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class KicksAndClientModeTest {

    private static final Duration USER_EXPIRE = Duration.ofMinutes(15);
    private static final Duration WEB_SESSION_IDLE = Duration.ofMinutes(30);
    private static final List<Backend> BACKENDS = List.of(
            new Backend("be1", "127.0.0.31", 100, "", BackendPorts.DEFAULTS, null, true),
            new Backend("be2", "127.0.0.32", 100, "", BackendPorts.DEFAULTS, null, true),
            new Backend("be3", "127.0.0.33", 100, "", BackendPorts.DEFAULTS, null, true));

    private static String cluster;
    private static int portA;
    private static HazelcastInstance memberA;
    private static HazelcastInstance memberB;
    private static HazelcastInstance client;

    @BeforeAll
    static void startCluster() {
        cluster = "mailpin-test-" + UUID.randomUUID();
        portA = FreePorts.find("127.0.0.1");
        int portB = FreePorts.find("127.0.0.1");
        List<String> members = List.of("127.0.0.1:" + portA, "127.0.0.1:" + portB);
        CompletableFuture<HazelcastInstance> startingA = CompletableFuture.supplyAsync(() -> HazelcastMembers.start(
                new ClusterSettings(cluster, "127.0.0.1", portA, members), USER_EXPIRE, WEB_SESSION_IDLE));
        CompletableFuture<HazelcastInstance> startingB = CompletableFuture.supplyAsync(() -> HazelcastMembers.start(
                new ClusterSettings(cluster, "127.0.0.1", portB, members), USER_EXPIRE, WEB_SESSION_IDLE));
        memberA = startingA.join();
        memberB = startingB.join();
        client = HazelcastClients.start(new ClientSettings(cluster, List.of("127.0.0.1:" + portA)),
                USER_EXPIRE, WEB_SESSION_IDLE);
    }

    @AfterAll
    static void stopCluster() {
        if (client != null) {
            client.shutdown();
        }
        if (memberB != null) {
            memberB.shutdown();
        }
        if (memberA != null) {
            memberA.shutdown();
        }
    }

    @Test
    void kickReachesListenerOnOtherMember() throws Exception {
        try (HazelcastDirector nodeA = new HazelcastDirector(memberA, settings("node-a"), InstantSource.system());
             HazelcastDirector nodeB = new HazelcastDirector(memberB, settings("node-b"), InstantSource.system())) {
            BlockingQueue<List<String>> received = new LinkedBlockingQueue<>();
            nodeB.onKick((user, backendId) -> received.add(Arrays.asList(user, backendId)));

            nodeA.kick("alice@example.test", "be2");
            nodeA.kick("bob@example.test", null);

            assertEquals(List.of("alice@example.test", "be2"), received.poll(30, TimeUnit.SECONDS));
            List<String> everyBackend = received.poll(30, TimeUnit.SECONDS);
            assertEquals("bob@example.test", everyBackend.get(0));
            assertNull(everyBackend.get(1));
        }
    }

    // A user live on the assigned backend and on another one, as after a split cluster healed:
    // only the connection to the other backend is kicked.
    @Test
    void staleConnectionsKickedAfterMerge() throws Exception {
        try (HazelcastDirector nodeA = new HazelcastDirector(memberA, settings("node-a"), InstantSource.system());
             HazelcastDirector nodeB = new HazelcastDirector(memberB, settings("node-b"), InstantSource.system())) {
            String user = "carol@example.test";
            String assigned = nodeA.assign(user).backendId();
            String other = BACKENDS.stream().map(Backend::id).filter(id -> !id.equals(assigned)).findFirst().orElseThrow();
            BlockingQueue<List<String>> received = new LinkedBlockingQueue<>();
            nodeB.onKick((kicked, backendId) -> received.add(List.of(kicked, backendId)));
            nodeA.liveBackends(() -> Map.of(user, Set.of(assigned, other), "nobody@example.test", Set.of(other)));

            assertEquals(1, nodeA.kickStaleConnections());

            assertEquals(List.of(user, other), received.poll(30, TimeUnit.SECONDS));
            assertNull(received.poll(500, TimeUnit.MILLISECONDS));
        }
    }

    // What a MERGED event on one member triggers: the other node compares its own connections.
    @Test
    void checkRequestReachesOtherMember() throws Exception {
        try (HazelcastDirector nodeA = new HazelcastDirector(memberA, settings("node-a"), InstantSource.system());
             HazelcastDirector nodeB = new HazelcastDirector(memberB, settings("node-b"), InstantSource.system())) {
            String user = "frank@example.test";
            String assigned = nodeA.assign(user).backendId();
            String other = BACKENDS.stream().map(Backend::id).filter(id -> !id.equals(assigned)).findFirst().orElseThrow();
            BlockingQueue<List<String>> received = new LinkedBlockingQueue<>();
            nodeA.onKick((kicked, backendId) -> received.add(List.of(kicked, backendId)));
            nodeB.liveBackends(() -> Map.of(user, Set.of(other)));

            nodeA.requestStaleConnectionCheck();

            assertEquals(List.of(user, other), received.poll(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void clientDirectorAgreesWithMember() {
        try (HazelcastDirector onMember = new HazelcastDirector(memberB, settings("node-b"), InstantSource.system());
             HazelcastDirector onClient = new HazelcastDirector(client, settings("node-c"), InstantSource.system())) {
            Assignment fromClient = onClient.assign("dave@example.test");
            Assignment fromMember = onMember.assign("dave@example.test");

            assertEquals("node-c", fromMember.node());
            assertEquals(fromClient.backendId(), fromMember.backendId());
            assertEquals(onClient.find("dave@example.test").orElseThrow(), fromMember);
            assertEquals(onMember.ringChoice("dave@example.test"), onClient.ringChoice("dave@example.test"));
            assertEquals(BACKENDS.size(), onClient.backends().size());
        }
    }

    @Test
    void kickFromClientReachesMember() throws Exception {
        try (HazelcastDirector onMember = new HazelcastDirector(memberA, settings("node-a"), InstantSource.system());
             HazelcastDirector onClient = new HazelcastDirector(client, settings("node-c"), InstantSource.system())) {
            BlockingQueue<List<String>> received = new LinkedBlockingQueue<>();
            onMember.onKick((user, backendId) -> received.add(List.of(user, backendId)));

            onClient.kick("erin@example.test", "be1");

            assertEquals(List.of("erin@example.test", "be1"), received.poll(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void clientStartFailsWhenNoMemberAnswers() {
        int closedPort = FreePorts.find("127.0.0.1");
        long start = System.nanoTime();

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> HazelcastClients.start(
                new ClientSettings(cluster, List.of("127.0.0.1:" + closedPort)), USER_EXPIRE, WEB_SESSION_IDLE,
                Duration.ofSeconds(3)));

        assertTrue(e.getMessage().contains("127.0.0.1:" + closedPort + " accepted a client connection within 3 s"),
                e.getMessage());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(30), "start took longer than 30 s");
    }

    @Test
    void clientConfigKeepsDiscoveryOff() {
        var config = HazelcastClients.config(new ClientSettings(cluster, List.of("127.0.0.1:" + portA)));
        assertEquals("false", config.getProperty("hazelcast.phone.home.enabled"));
        assertEquals(false, config.getNetworkConfig().getAutoDetectionConfig().isEnabled());
        assertEquals(List.of("127.0.0.1:" + portA), config.getNetworkConfig().getAddresses());
    }

    private static DirectorSettings settings(String node) {
        return new DirectorSettings(node, USER_EXPIRE, WEB_SESSION_IDLE, UsernameNormalizer.dovecotDefault(), BACKENDS);
    }
}
