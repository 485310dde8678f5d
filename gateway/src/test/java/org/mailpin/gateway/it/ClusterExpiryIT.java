package org.mailpin.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.mailpin.director.Assignment;
import org.mailpin.gateway.mail.imap.ImapTestClient;

/**
 * Two gateway nodes with a 1 minute user-expire: a user whose IMAP connection stays open on
 * node 2 must stay assigned as seen from node 1 well past user-expire, because node 2 refreshes
 * the assignment of its live connections. A user who logged out at the same time is the
 * control and must have expired.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterExpiryIT {

    private static final Duration USER_EXPIRE = Duration.ofMinutes(1);
    private static final Duration HOLD = Duration.ofSeconds(90);
    private static final Duration NOOP_INTERVAL = Duration.ofSeconds(20);

    ClusterNodes cluster;

    @BeforeAll
    void startCluster() throws Exception {
        cluster = ClusterNodes.start(2, Topology.USERS, USER_EXPIRE.toMinutes() + "m");
    }

    @AfterAll
    void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void liveConnectionKeepsUserAssigned() throws Exception {
        String liveUser = Topology.user(3);
        String controlUser = Topology.user(4);
        try (ImapTestClient live = ImapTestClient.connect("127.0.0.1", cluster.imapPort(2))) {
            live.readLine();
            assertTrue(live.command("a1", "LOGIN " + liveUser + " " + Topology.password(3)).startsWith("a1 OK "),
                    "login of " + liveUser + " through node 2");
            assertTrue(live.command("a2", "SELECT INBOX").startsWith("a2 OK "), "SELECT through node 2");
            String control = ClusterNodes.imapLogin(cluster.imapPort(2), controlUser, Topology.password(4));
            assertTrue(control.startsWith("a1 OK"), "login of " + controlUser + " through node 2: " + control);
            Instant loggedIn = Instant.now();
            Assignment first = cluster.topology.gateway.director().find(liveUser).orElseThrow();

            long deadline = System.nanoTime() + HOLD.toNanos();
            int noop = 0;
            while (System.nanoTime() < deadline) {
                Thread.sleep(Math.min(NOOP_INTERVAL.toMillis(),
                        Math.max(1, Duration.ofNanos(deadline - System.nanoTime()).toMillis())));
                noop++;
                String reply = live.command("n" + noop, "NOOP");
                assertTrue(reply.startsWith("n" + noop + " OK"), "NOOP " + noop + " through node 2: " + reply);
            }
            Duration heldFor = Duration.between(loggedIn, Instant.now());
            assertTrue(heldFor.compareTo(USER_EXPIRE.plusSeconds(15)) > 0, "held the connection only " + heldFor);

            Optional<Assignment> liveAssignment = cluster.topology.gateway.director().find(liveUser);
            assertTrue(liveAssignment.isPresent(), liveUser + " expired on node 1 after " + heldFor
                    + " with a live connection on node 2");
            assertEquals(first.backendId(), liveAssignment.get().backendId(), "backend of " + liveUser);
            assertTrue(liveAssignment.get().lastActivity().isAfter(first.lastActivity()),
                    "last activity of " + liveUser + " did not advance: " + liveAssignment.get().lastActivity());
            assertTrue(cluster.node(2).adminUser(liveUser).path("assigned").asBoolean(),
                    liveUser + " unassigned in node 2's admin API");
            assertEquals(Optional.empty(), cluster.topology.gateway.director().find(controlUser),
                    controlUser + " logged out " + heldFor + " ago but is still assigned");
        }
    }
}
