package org.mailpin.director.hazelcast;

import java.time.Duration;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.client.config.ClientConnectionStrategyConfig;
import com.hazelcast.client.config.ClientNetworkConfig;
import com.hazelcast.client.config.ConnectionRetryConfig;
import com.hazelcast.core.HazelcastInstance;

/**
 * Builds and starts Hazelcast clients for client mode, where the node uses an existing cluster
 * instead of running a member: phone-home, cloud discovery and auto-detection off, logging through
 * SLF4J. The cluster must already have Mailpin's map settings, because a client does not set them.
 */
public final class HazelcastClients {

    private static final Logger log = LoggerFactory.getLogger(HazelcastClients.class);

    private HazelcastClients() {
    }

    /** How long a starting node waits for its first connection to the cluster. */
    public static final Duration FIRST_CONNECT_TIMEOUT = Duration.ofSeconds(60);

    /**
     * Connects to the cluster, then logs a WARN that lists the map settings the cluster must have.
     * Start fails when no listed member accepts within {@link #FIRST_CONNECT_TIMEOUT}, so a wrong
     * address is an error at start instead of a node that hangs; after the first connection the
     * client reconnects without a time limit. The caller shuts the client down.
     */
    public static HazelcastInstance start(ClientSettings client, Duration userExpire, Duration webSessionIdle) {
        return start(client, userExpire, webSessionIdle, FIRST_CONNECT_TIMEOUT);
    }

    static HazelcastInstance start(ClientSettings client, Duration userExpire, Duration webSessionIdle,
                                   Duration firstConnectTimeout) {
        log.info("connecting to Hazelcast cluster '{}' at {} as a client", client.name(),
                String.join(", ", client.addresses()));
        ClientConfig config = config(client);
        // Asynchronous start returns at once; the listener, registered before start so it cannot
        // miss the event, counts down the latch when the first connection is up.
        config.getConnectionStrategyConfig().setAsyncStart(true);
        java.util.concurrent.CountDownLatch connected = new java.util.concurrent.CountDownLatch(1);
        config.addListenerConfig(new com.hazelcast.config.ListenerConfig(
                (com.hazelcast.core.LifecycleListener) event -> {
                    if (event.getState() == com.hazelcast.core.LifecycleEvent.LifecycleState.CLIENT_CONNECTED) {
                        connected.countDown();
                    }
                }));
        HazelcastInstance instance;
        try {
            instance = HazelcastClient.newHazelcastClient(config);
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot connect to Hazelcast cluster '" + client.name() + "' at "
                    + String.join(", ", client.addresses()) + " (cluster.client.addresses): " + e.getMessage(), e);
        }
        if (!awaitConnected(connected, firstConnectTimeout)) {
            instance.shutdown();
            throw new IllegalStateException("no member of Hazelcast cluster '" + client.name() + "' at "
                    + String.join(", ", client.addresses()) + " accepted a client connection within "
                    + firstConnectTimeout.toSeconds() + " s; check cluster.client.addresses, the cluster name "
                    + "and that the members are running");
        }
        log.warn("client mode: Mailpin cannot configure the maps of cluster '{}'; check that the cluster has {}",
                client.name(), String.join("; ", HazelcastMembers.mapSettings(userExpire, webSessionIdle)));
        return instance;
    }

    private static boolean awaitConnected(java.util.concurrent.CountDownLatch connected, Duration timeout) {
        try {
            return connected.await(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Returns the client configuration, for tests and for inspection. */
    public static ClientConfig config(ClientSettings client) {
        ClientConfig config = new ClientConfig();
        config.setClusterName(client.name());
        config.setInstanceName("mailpin-client-" + String.join("-", client.addresses()));
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.logging.type", "slf4j");
        config.setProperty("hazelcast.shutdownhook.enabled", "false");

        ClientNetworkConfig network = config.getNetworkConfig();
        network.getAutoDetectionConfig().setEnabled(false);
        network.getCloudConfig().setEnabled(false);
        client.addresses().forEach(network::addAddress);

        // A finite connect timeout would also end reconnects and shut the client down for good, so
        // the client retries forever once it has connected (start() bounds the first connection). While it is disconnected every operation fails at once with
        // HazelcastClientOfflineException instead of blocking the caller's thread.
        ClientConnectionStrategyConfig strategy = config.getConnectionStrategyConfig();
        strategy.setReconnectMode(ClientConnectionStrategyConfig.ReconnectMode.ASYNC);
        ConnectionRetryConfig retry = strategy.getConnectionRetryConfig();
        retry.setClusterConnectTimeoutMillis(ConnectionRetryConfig.DEFAULT_CLUSTER_CONNECT_TIMEOUT_MILLIS);
        return config;
    }
}
