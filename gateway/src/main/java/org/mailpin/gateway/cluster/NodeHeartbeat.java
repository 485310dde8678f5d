package org.mailpin.gateway.cluster;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.mailpin.director.hazelcast.MapNames;
import org.mailpin.gateway.mail.LiveConnections;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;

/**
 * Publishes this node's status into the shared nodes map every {@link #INTERVAL}: name, start
 * time and live connections by backend and protocol. Admin calls on any node sum these into
 * cluster-wide figures. The entry lives three intervals, so a node that stops drops out by itself
 * in client mode too, where no member event would tell.
 */
public final class NodeHeartbeat implements AutoCloseable {

    static final Duration INTERVAL = Duration.ofSeconds(2);
    private static final Duration TTL = INTERVAL.multipliedBy(3);
    private static final Logger log = LoggerFactory.getLogger(NodeHeartbeat.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String node;
    private final LiveConnections live;
    private final IMap<String, String> nodes;
    private final Instant started = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    private final ScheduledExecutorService timer;

    public NodeHeartbeat(HazelcastInstance hazelcast, String node, LiveConnections live) {
        this.node = node;
        this.live = live;
        this.nodes = hazelcast.getMap(MapNames.NODES);
        this.timer = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("node-heartbeat").factory());
        publish();
        timer.scheduleWithFixedDelay(this::publish, INTERVAL.toMillis(), INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Writes the status now; also called after a change an administrator waits to see. */
    public void publish() {
        try {
            nodes.set(node, JSON.writeValueAsString(status()), TTL.toMillis(), TimeUnit.MILLISECONDS);
        } catch (JsonProcessingException | RuntimeException e) {
            log.warn("publishing this node's status failed: {}", e.toString());
        }
    }

    private Map<String, Object> status() {
        Map<String, Map<String, Integer>> connections = new TreeMap<>();
        for (LiveConnections.Entry entry : live.all()) {
            connections.computeIfAbsent(entry.backendId(), id -> new TreeMap<>())
                    .merge(entry.protocol().name().toLowerCase(java.util.Locale.ROOT), 1, Integer::sum);
        }
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("node", node);
        status.put("started", started.toString());
        status.put("updated", Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS).toString());
        status.put("connections", connections);
        return status;
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            nodes.delete(node);
        } catch (RuntimeException e) {
            log.debug("removing this node's status failed: {}", e.toString());
        }
    }
}
