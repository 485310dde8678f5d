package org.mailpin.director.hazelcast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.hazelcast.config.Config;
import com.hazelcast.config.MapConfig;
import com.hazelcast.spi.merge.LatestUpdateMergePolicy;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionOn;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HazelcastMembersTest {

    private static final Duration USER_EXPIRE = Duration.ofMinutes(15);
    private static final Duration WEB_SESSION_IDLE = Duration.ofMinutes(30);

    @Test
    void takenPortFailsWithBindAddress() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            ClusterSettings cluster = new ClusterSettings("mailpin-test-" + UUID.randomUUID(), "127.0.0.1", port,
                    List.of());

            UncheckedIOException e = assertThrows(UncheckedIOException.class,
                    () -> HazelcastMembers.start(cluster, USER_EXPIRE, WEB_SESSION_IDLE).shutdown());

            assertInstanceOf(BindException.class, e.getCause());
            assertTrue(e.getMessage().startsWith("cannot listen on 127.0.0.1:" + port + " (cluster.bind): "),
                    e.getMessage());
        }
    }

    @Test
    void configKeepsDiscoveryOff() {
        Config config = HazelcastMembers.config(new ClusterSettings("c", "127.0.0.1", 5701,
                List.of("127.0.0.2:5701", "127.0.0.3:5701")), USER_EXPIRE, WEB_SESSION_IDLE);

        assertEquals("false", config.getProperty("hazelcast.phone.home.enabled"));
        assertFalse(config.getNetworkConfig().getJoin().getMulticastConfig().isEnabled());
        assertFalse(config.getNetworkConfig().getJoin().getAutoDetectionConfig().isEnabled());
        assertFalse(config.getNetworkConfig().isPortAutoIncrement());
    }

    @Test
    void assignmentsProtectedAndMergedByLatestUpdate() {
        Config config = HazelcastMembers.config(new ClusterSettings("c", "127.0.0.1", 5701,
                List.of("127.0.0.1:5701", "127.0.0.2:5701", "127.0.0.3:5701")), USER_EXPIRE, WEB_SESSION_IDLE);
        MapConfig assignments = config.getMapConfig(MapNames.ASSIGNMENTS);

        assertEquals(MapNames.ASSIGNMENTS_PROTECTION, assignments.getSplitBrainProtectionName());
        var protection = config.getSplitBrainProtectionConfig(MapNames.ASSIGNMENTS_PROTECTION);
        assertEquals(2, protection.getMinimumClusterSize());
        assertEquals(SplitBrainProtectionOn.WRITE, protection.getProtectOn());
        assertEquals(LatestUpdateMergePolicy.class.getName(), assignments.getMergePolicyConfig().getPolicy());
        assertTrue(assignments.isPerEntryStatsEnabled());
        assertEquals(2, assignments.getBackupCount());
    }
}
