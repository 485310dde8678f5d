package org.mailpin.gateway.metrics;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import org.mailpin.director.Backend;
import org.mailpin.gateway.mail.LiveConnections;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;

/**
 * The gauges whose rows come from a snapshot taken just before each scrape: whether each backend
 * is up and healthy, and how many proxied connections this node has open per backend and protocol.
 *
 * <p>A snapshot reads the director's backend list, a local copy that costs no Hazelcast call, and
 * makes one pass over this node's live connections. Every backend gets a row for every relayed
 * protocol, 0 included, so a connection count falls to 0 rather than vanishing. A row disappears
 * only when its backend leaves the list and has no connections left.
 */
final class ClusterGauges {

    static final List<String> RELAYED_PROTOCOLS = List.of("imap", "pop3", "sieve", "submission");

    private final MultiGauge backendUp;
    private final MultiGauge backendHealthy;
    private final MultiGauge liveConnections;
    private volatile Supplier<List<Backend>> backends = List::of;
    private volatile Supplier<? extends Collection<LiveConnections.Entry>> connections = List::of;

    ClusterGauges(MeterRegistry registry) {
        backendUp = MultiGauge.builder("mailpin.backend.up")
                .description("1 while the administrator's state of the backend is up, 0 while it is marked down")
                .register(registry);
        backendHealthy = MultiGauge.builder("mailpin.backend.healthy")
                .description("1 while the health checks find the backend working, 0 after they marked it unhealthy")
                .register(registry);
        liveConnections = MultiGauge.builder("mailpin.live.connections")
                .description("Proxied connections open on this node after login, by backend and protocol")
                .register(registry);
    }

    void backends(Supplier<List<Backend>> source) {
        backends = source;
    }

    void connections(Supplier<? extends Collection<LiveConnections.Entry>> source) {
        connections = source;
    }

    // Synchronized so that two scrapes at once cannot register rows of different snapshots.
    synchronized void update() {
        List<Backend> current = backends.get();
        List<MultiGauge.Row<?>> upRows = new ArrayList<>();
        List<MultiGauge.Row<?>> healthyRows = new ArrayList<>();
        Map<Tags, Integer> counts = new HashMap<>();
        for (Backend backend : current) {
            upRows.add(MultiGauge.Row.of(Tags.of("backend", backend.id()), backend.up() ? 1 : 0));
            healthyRows.add(MultiGauge.Row.of(Tags.of("backend", backend.id()), backend.healthy() ? 1 : 0));
            for (String protocol : RELAYED_PROTOCOLS) {
                counts.put(Tags.of("backend", backend.id(), "protocol", protocol), 0);
            }
        }
        for (LiveConnections.Entry entry : connections.get()) {
            counts.merge(Tags.of("backend", entry.backendId(), "protocol", GatewayMetrics.label(entry.protocol())), 1,
                    Integer::sum);
        }
        List<MultiGauge.Row<?>> liveRows = new ArrayList<>();
        counts.forEach((tags, count) -> liveRows.add(MultiGauge.Row.of(tags, count)));

        backendUp.register(upRows, true);
        backendHealthy.register(healthyRows, true);
        liveConnections.register(liveRows, true);
    }
}
