package org.mailpin.gateway.ops;

import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.mailpin.director.Backend;
import org.mailpin.gateway.mail.LiveConnections;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes this node's live connections to a backend once it stops taking users: marked down by an
 * administrator, failed by the health checks, or removed. Each node drains its own connections, so
 * nothing needs to travel between nodes; the rate applies per node.
 *
 * <p>Clients reconnect, and the director then gives their users the ring choice among the backends
 * still usable. When the backend comes back, users stay where they are until their assignment
 * expires or an administrator flushes them.
 */
public final class BackendDrain implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(BackendDrain.class);

    private final LiveConnections live;
    private final int perSecond;
    private final java.util.function.ObjIntConsumer<String> drained;
    private final ExecutorService drains = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("backend-drain-", 0).factory());
    private final Set<String> draining = new HashSet<>();
    private Set<String> usable;

    /**
     * @param initial   the backends at start; those already unusable are not drained, as this node
     *                  has no connections yet
     * @param perSecond connections closed per second and backend
     * @param drained   gets the backend id and the number of connections closed, after each drain
     */
    public BackendDrain(LiveConnections live, List<Backend> initial, int perSecond,
                        java.util.function.ObjIntConsumer<String> drained) {
        this.live = live;
        this.perSecond = perSecond;
        this.drained = drained;
        this.usable = usableIds(initial);
    }

    /** Takes a new backend list; starts a drain for each backend that stopped being usable. */
    public synchronized void backendsChanged(List<Backend> backends) {
        Set<String> now = usableIds(backends);
        for (String id : usable) {
            if (!now.contains(id) && draining.add(id)) {
                drains.execute(() -> drain(id));
            }
        }
        usable = now;
    }

    private void drain(String backendId) {
        try {
            List<LiveConnections.Entry> entries = live.forBackend(backendId);
            if (entries.isEmpty()) {
                return;
            }
            log.info("backend {} no longer takes users; closing its {} live connection(s) on this node, {} per second",
                    backendId, entries.size(), perSecond);
            Pacer pacer = new Pacer(perSecond);
            int closed = 0;
            try {
                for (LiveConnections.Entry entry : entries) {
                    if (isUsable(backendId)) {
                        log.info("backend {} takes users again; drain stopped after {} connection(s)", backendId,
                                closed);
                        return;
                    }
                    if (!pacer.await()) {
                        return;
                    }
                    close(entry);
                    closed++;
                }
                log.info("backend {} drained on this node: {} connection(s) closed", backendId, closed);
            } finally {
                drained.accept(backendId, closed);
            }
        } finally {
            synchronized (this) {
                draining.remove(backendId);
            }
        }
    }

    private synchronized boolean isUsable(String backendId) {
        return usable.contains(backendId);
    }

    private static void close(LiveConnections.Entry entry) {
        try {
            entry.connection().close();
        } catch (IOException e) {
            log.debug("closing connection {} of {} failed: {}", entry.id(), entry.user(), e.toString());
        }
    }

    private static Set<String> usableIds(List<Backend> backends) {
        Set<String> ids = new HashSet<>();
        for (Backend backend : backends) {
            if (backend.usable()) {
                ids.add(backend.id());
            }
        }
        return ids;
    }

    @Override
    public void close() {
        drains.shutdownNow();
    }
}
