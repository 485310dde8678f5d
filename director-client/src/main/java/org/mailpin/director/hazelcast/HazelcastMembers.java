package org.mailpin.director.hazelcast;

import java.io.UncheckedIOException;
import java.net.BindException;
import java.time.Duration;
import java.util.List;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MergePolicyConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.config.SplitBrainProtectionConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.spi.merge.LatestUpdateMergePolicy;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionOn;

/**
 * Builds and starts embedded Hazelcast members with the settings every Mailpin member needs:
 * phone-home, multicast and cloud auto-detection off, TCP-IP join only, logging through SLF4J,
 * explicit backups and max-idle on every map, and, with {@link ClusterSettings#minMembers()} above
 * 1, a split-brain protection that rejects assignment writes in a smaller cluster.
 */
public final class HazelcastMembers {

    // Hazelcast's max-idle removes assignments nobody asked for; the director decides expiry
    // itself from the stored last activity, so the map may keep an entry a little longer.
    private static final Duration EXPIRY_MARGIN = Duration.ofMinutes(5);

    // A login page older than this must be reloaded before its form is accepted across instances.
    static final Duration LOGIN_PAGE_LIFETIME = Duration.ofHours(2);

    private HazelcastMembers() {
    }

    /**
     * Starts a member; the caller shuts it down.
     *
     * @throws UncheckedIOException when the member cannot listen on its address and port, e.g.
     *         because another process uses the port
     */
    public static HazelcastInstance start(ClusterSettings cluster, Duration userExpire, Duration webSessionIdle) {
        Config config = config(cluster, userExpire, webSessionIdle);
        try {
            return Hazelcast.newHazelcastInstance(config);
        } catch (RuntimeException e) {
            BindException bindFailure = bindFailure(e);
            if (bindFailure != null) {
                throw new UncheckedIOException("cannot listen on " + cluster.bindAddress() + ":" + cluster.port()
                        + " (cluster.bind): " + e.getMessage()
                        + " Stop the process that uses the port or choose another cluster.bind.", bindFailure);
            }
            throw e;
        }
    }

    private static BindException bindFailure(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof BindException bind) {
                return bind;
            }
        }
        return null;
    }

    /**
     * Returns how many synchronous backups each map keeps: one per other listed member (at least
     * 1, at most Hazelcast's 6), so every member holds every entry. The state is small, and a
     * member cut off by a split can then still answer every user it knew; with one backup it
     * would lose the entries whose owner and backup were both on the other side.
     */
    static int backupCount(ClusterSettings cluster) {
        long others = cluster.members().stream()
                .filter(member -> !member.equals(cluster.bindAddress() + ":" + cluster.port()))
                .count();
        return (int) Math.max(1, Math.min(6, others));
    }

    /** Returns the member configuration, for tests and for inspection. */
    public static Config config(ClusterSettings cluster, Duration userExpire, Duration webSessionIdle) {
        Config config = new Config();
        config.setClusterName(cluster.name());
        config.setInstanceName("mailpin-" + cluster.bindAddress() + "-" + cluster.port());
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.logging.type", "slf4j");
        config.setProperty("hazelcast.shutdownhook.enabled", "false");
        // A lone member need not wait for peers; with peers listed, Hazelcast's default wait applies.
        if (cluster.members().isEmpty()) {
            config.setProperty("hazelcast.wait.seconds.before.join", "0");
        }

        NetworkConfig network = config.getNetworkConfig();
        network.setPort(cluster.port()).setPortAutoIncrement(false);
        network.getInterfaces().setEnabled(true).addInterface(cluster.bindAddress());
        network.getRestApiConfig().setEnabled(false);
        config.setProperty("hazelcast.local.localAddress", cluster.bindAddress());
        // Without this Hazelcast binds the wildcard address and only advertises the interface.
        config.setProperty("hazelcast.socket.bind.any", "false");

        JoinConfig join = network.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true).addMember(cluster.bindAddress() + ":" + cluster.port());
        cluster.members().forEach(member -> join.getTcpIpConfig().addMember(member));

        int backups = backupCount(cluster);
        MapConfig assignments = new MapConfig(MapNames.ASSIGNMENTS)
                .setBackupCount(backups)
                .setMaxIdleSeconds(seconds(userExpire.plus(EXPIRY_MARGIN)))
                // LatestUpdateMergePolicy reads each entry's last update time, which Hazelcast
                // only keeps with per-entry statistics on.
                .setPerEntryStatsEnabled(true)
                .setMergePolicyConfig(new MergePolicyConfig().setPolicy(LatestUpdateMergePolicy.class.getName()));
        // Hazelcast rejects a protection with a minimum below 2, and 1 means none anyway.
        if (cluster.minMembers() > 1) {
            config.addSplitBrainProtectionConfig(new SplitBrainProtectionConfig(MapNames.ASSIGNMENTS_PROTECTION, true,
                    cluster.minMembers()).setProtectOn(SplitBrainProtectionOn.WRITE));
            assignments.setSplitBrainProtectionName(MapNames.ASSIGNMENTS_PROTECTION);
        }
        config.addMapConfig(assignments);
        config.addMapConfig(new MapConfig(MapNames.WEB_SESSIONS)
                .setBackupCount(backups)
                .setMaxIdleSeconds(seconds(webSessionIdle)));
        config.addMapConfig(new MapConfig(MapNames.LOGIN_TOKENS)
                .setBackupCount(backups)
                .setTimeToLiveSeconds(seconds(LOGIN_PAGE_LIFETIME)));
        config.addMapConfig(new MapConfig(MapNames.BACKENDS)
                .setBackupCount(backups)
                .setMaxIdleSeconds(0));
        config.addRingBufferConfig(new com.hazelcast.config.RingbufferConfig(MapNames.EVENTS)
                .setCapacity(ClusterEvents.CAPACITY)
                .setBackupCount(Math.min(backups, 1))
                .setTimeToLiveSeconds(0));
        return config;
    }

    /**
     * Returns the map settings of every Mailpin map as one line each, for a cluster that Mailpin
     * joins as a client and therefore cannot configure.
     */
    public static List<String> mapSettings(Duration userExpire, Duration webSessionIdle) {
        return List.of(
                MapNames.ASSIGNMENTS + ": backup-count 1, max-idle-seconds " + seconds(userExpire.plus(EXPIRY_MARGIN))
                        + ", per-entry-stats-enabled true, merge-policy LatestUpdateMergePolicy",
                MapNames.WEB_SESSIONS + ": backup-count 1, max-idle-seconds " + seconds(webSessionIdle),
                MapNames.LOGIN_TOKENS + ": backup-count 1, time-to-live-seconds " + seconds(LOGIN_PAGE_LIFETIME),
                MapNames.BACKENDS + ": backup-count 1, max-idle-seconds 0");
    }

    static int seconds(Duration duration) {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, duration.toSeconds()));
    }
}
