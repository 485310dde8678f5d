package org.mailpin.director.hazelcast;

import java.time.Duration;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;

/**
 * Builds and starts embedded Hazelcast members with the settings every Mailpin member needs:
 * phone-home, multicast and cloud auto-detection off, TCP-IP join only, logging through SLF4J,
 * and explicit backups and max-idle on every map.
 */
public final class HazelcastMembers {

    // Hazelcast's max-idle removes assignments nobody asked for; the director decides expiry
    // itself from the stored last activity, so the map may keep an entry a little longer.
    private static final Duration EXPIRY_MARGIN = Duration.ofMinutes(5);

    // A login page older than this must be reloaded before its form is accepted across instances.
    static final Duration LOGIN_PAGE_LIFETIME = Duration.ofHours(2);

    private HazelcastMembers() {
    }

    /** Starts a member; the caller shuts it down. */
    public static HazelcastInstance start(ClusterSettings cluster, Duration userExpire, Duration webSessionIdle) {
        return Hazelcast.newHazelcastInstance(config(cluster, userExpire, webSessionIdle));
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

        config.addMapConfig(new MapConfig(MapNames.ASSIGNMENTS)
                .setBackupCount(1)
                .setMaxIdleSeconds(seconds(userExpire.plus(EXPIRY_MARGIN))));
        config.addMapConfig(new MapConfig(MapNames.WEB_SESSIONS)
                .setBackupCount(1)
                .setMaxIdleSeconds(seconds(webSessionIdle)));
        config.addMapConfig(new MapConfig(MapNames.LOGIN_TOKENS)
                .setBackupCount(1)
                .setTimeToLiveSeconds(seconds(LOGIN_PAGE_LIFETIME)));
        config.addMapConfig(new MapConfig(MapNames.BACKENDS)
                .setBackupCount(1)
                .setMaxIdleSeconds(0));
        return config;
    }

    private static int seconds(Duration duration) {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, duration.toSeconds()));
    }
}
