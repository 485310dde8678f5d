package org.mailpin.director.hazelcast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mailpin.director.Assignment;
import org.mailpin.director.Backend;
import org.mailpin.director.BackendPorts;
import org.mailpin.director.DirectorSettings;
import org.mailpin.director.DirectorUnavailableException;
import org.mailpin.director.FreePorts;
import org.mailpin.director.NoBackendAvailableException;
import org.mailpin.director.UsernameNormalizer;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionException;

/** The assignments map's split-brain protection on real members on 127.0.0.1. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SplitBrainProtectionTest {

    private static final Duration USER_EXPIRE = Duration.ofMinutes(15);
    private static final List<Backend> BACKENDS = List.of(
            new Backend("be1", "127.0.0.31", 100, "", BackendPorts.DEFAULTS, null, true),
            new Backend("be2", "127.0.0.32", 100, "", BackendPorts.DEFAULTS, null, true));

    private HazelcastInstance memberA;
    private HazelcastInstance memberB;

    @AfterEach
    void stopMembers() {
        if (memberB != null) {
            memberB.shutdown();
        }
        if (memberA != null) {
            memberA.shutdown();
        }
    }

    @Test
    void defaultMinMembersIsMajorityFromThree() {
        assertEquals(1, ClusterSettings.defaultMinMembers("10.0.0.1", 5701, List.of()));
        assertEquals(1, ClusterSettings.defaultMinMembers("10.0.0.1", 5701, List.of("10.0.0.2:5701")));
        assertEquals(2, ClusterSettings.defaultMinMembers("10.0.0.1", 5701,
                List.of("10.0.0.1:5701", "10.0.0.2:5701", "10.0.0.3:5701")));
        assertEquals(2, ClusterSettings.defaultMinMembers("10.0.0.1", 5701, List.of("10.0.0.2:5701", "10.0.0.3:5701")));
        assertEquals(3, ClusterSettings.defaultMinMembers("10.0.0.1", 5701,
                List.of("10.0.0.1:5701", "10.0.0.2:5701", "10.0.0.3:5701", "10.0.0.4:5701", "10.0.0.5:5701")));
    }

    // One member of two rejects new assignments, serves them once the second joins, and keeps
    // serving existing ones from reads after the second leaves again.
    @Test
    void smallerClusterRejectsOnlyNewAssignments() throws Exception {
        String cluster = "mailpin-test-" + UUID.randomUUID();
        int portA = FreePorts.find("127.0.0.1");
        int portB = FreePorts.find("127.0.0.1");
        List<String> members = List.of("127.0.0.1:" + portA, "127.0.0.1:" + portB);
        memberA = HazelcastMembers.start(new ClusterSettings(cluster, "127.0.0.1", portA, members, 2),
                USER_EXPIRE, Duration.ofMinutes(30));

        try (HazelcastDirector director = new HazelcastDirector(memberA, settings(), InstantSource.system())) {
            DirectorUnavailableException alone = assertThrows(DirectorUnavailableException.class,
                    () -> director.assign("first@example.test"));
            assertInstanceOf(SplitBrainProtectionException.class, alone.getCause());
            assertInstanceOf(NoBackendAvailableException.class, alone);

            memberB = HazelcastMembers.start(new ClusterSettings(cluster, "127.0.0.1", portB, members, 2),
                    USER_EXPIRE, Duration.ofMinutes(30));
            Assignment assigned = assignWithin(director, "first@example.test", Duration.ofSeconds(30));
            assertEquals("first@example.test", assigned.user());

            memberB.shutdown();
            memberB = null;
            assertRejectedWithin(director, "second@example.test", Duration.ofSeconds(30));
            assertEquals(assigned.backendId(), director.assign("first@example.test").backendId());
        }
    }

    @Test
    void minMembersOneAddsNoProtection() {
        var config = HazelcastMembers.config(new ClusterSettings("c", "127.0.0.1", 5701, List.of(), 1),
                USER_EXPIRE, Duration.ofMinutes(30));
        assertTrue(config.getSplitBrainProtectionConfigs().isEmpty());
        assertEquals(null, config.getMapConfig(MapNames.ASSIGNMENTS).getSplitBrainProtectionName());
    }

    // Hazelcast updates the protection's state from membership events, a moment after a join.
    private static Assignment assignWithin(HazelcastDirector director, String user, Duration limit)
            throws InterruptedException {
        Instant deadline = Instant.now().plus(limit);
        while (true) {
            try {
                return director.assign(user);
            } catch (DirectorUnavailableException e) {
                if (Instant.now().isAfter(deadline)) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    private static void assertRejectedWithin(HazelcastDirector director, String user, Duration limit)
            throws InterruptedException {
        Instant deadline = Instant.now().plus(limit);
        while (Instant.now().isBefore(deadline)) {
            try {
                director.assign(user);
            } catch (DirectorUnavailableException e) {
                return;
            }
            // The accepted write above must not linger, or a later success would be this one.
            director.hazelcast().getMap(MapNames.ASSIGNMENTS).delete(user);
            Thread.sleep(100);
        }
        throw new AssertionError("assign(" + user + ") still succeeds " + limit + " after the other member left");
    }

    private static DirectorSettings settings() {
        return new DirectorSettings("node-a", USER_EXPIRE, Duration.ofMinutes(30), UsernameNormalizer.dovecotDefault(),
                BACKENDS);
    }
}
