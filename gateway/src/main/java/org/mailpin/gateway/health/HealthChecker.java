package org.mailpin.gateway.health;

import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.mailpin.director.Backend;
import org.mailpin.director.Director;
import org.mailpin.director.UnknownBackendException;
import org.mailpin.gateway.config.Units;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the backend health checks on the one node that holds the {@code health-checks} lease. Every
 * interval each node tries to take or renew the lease; the holder then probes every backend and
 * counts consecutive passed and failed rounds. A backend turns unhealthy after {@code fall} failed
 * rounds and healthy again after {@code rise} passed ones.
 *
 * <p>The checker writes only a backend's {@code healthy} flag, never {@code up}, so an
 * administrator's down stays in force while the checks pass. Each round's result goes to the
 * {@link HealthStore}, where every node's admin API reads it.
 */
public final class HealthChecker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HealthChecker.class);

    private final Director director;
    private final HealthSettings settings;
    private final Lease lease;
    private final HealthStore store;
    private final BackendChecks probes;
    private final InstantSource clock;
    private final ExecutorService probeThreads = Executors.newVirtualThreadPerTaskExecutor();
    private final ScheduledExecutorService timer =
            Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("health-checks").factory());
    // Read and written on the timer thread only. Filled from the store when this node takes the
    // lease, so the streaks continue where the previous checker left them.
    private final Map<String, HealthRecord> records = new HashMap<>();
    private volatile boolean holding;
    private boolean unavailableLogged;

    public HealthChecker(Director director, HealthSettings settings, Lease lease, HealthStore store,
                         BackendChecks probes, InstantSource clock) {
        this.director = director;
        this.settings = settings;
        this.lease = lease;
        this.store = store;
        this.probes = probes;
        this.clock = clock;
    }

    /** Starts the ticks: the first at once, then one every interval. */
    public void start() {
        timer.scheduleAtFixedRate(this::tick, 0, settings.interval().toMillis(), TimeUnit.MILLISECONDS);
        log.info("health checks enabled: every {} with a {} timeout, unhealthy after {} failed rounds, healthy "
                        + "after {} passed rounds; the node that holds the lease runs them",
                Units.format(settings.interval()), Units.format(settings.timeout()), settings.fall(), settings.rise());
    }

    /** Takes or renews the lease and, when this node holds it, runs one round of checks. */
    void tick() {
        try {
            boolean holdsLease = lease.acquireOrRenew();
            if (holdsLease && !holding) {
                log.info("this node ({}) now runs the health checks", lease.node());
                records.clear();
                records.putAll(store.all());
            } else if (!holdsLease && holding) {
                log.info("another node ({}) runs the health checks now; this node stops", lease.holder());
            }
            holding = holdsLease;
            unavailableLogged = false;
            if (holdsLease) {
                runRound();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            // Typically the Hazelcast client is offline; the lease then expires and another node takes over.
            if (!unavailableLogged) {
                log.warn("health checks paused on this node: {}; retrying every {}", e.toString(),
                        Units.format(settings.interval()));
                unavailableLogged = true;
            }
            holding = false;
        }
    }

    /** Probes every backend at once and applies the results. */
    void runRound() throws InterruptedException {
        List<Backend> backends = director.backends();
        Map<Backend, Future<List<String>>> results = new LinkedHashMap<>();
        for (Backend backend : backends) {
            results.put(backend, probeThreads.submit(() -> probes.run(backend, probeThreads)));
        }
        for (Map.Entry<Backend, Future<List<String>>> result : results.entrySet()) {
            List<String> failures;
            try {
                failures = result.getValue().get();
            } catch (ExecutionException e) {
                failures = List.of("checks could not run: " + e.getCause());
            }
            apply(result.getKey(), failures, clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
        }
        Set<String> ids = backends.stream().map(Backend::id).collect(Collectors.toSet());
        records.keySet().retainAll(ids);
        store.retainOnly(ids);
    }

    private void apply(Backend backend, List<String> failures, Instant now) {
        String id = backend.id();
        boolean passed = failures.isEmpty();
        String reason = passed ? null : String.join("; ", failures);
        HealthRecord previous = records.get(id);
        // The backend's flag is the truth: a backend added or re-added meanwhile starts from its own.
        HealthState before = (previous == null ? HealthState.initial(backend.healthy()) : previous.state())
                .withHealthy(backend.healthy());
        HealthState after = before.after(passed, settings.rise(), settings.fall());

        if (after.healthy() != before.healthy()) {
            try {
                director.updateBackend(id, b -> b.withHealthy(after.healthy()));
            } catch (UnknownBackendException e) {
                log.debug("backend {} was removed during the round", id);
                return;
            }
            recordTransition(id, after, reason);
        } else if (!passed && after.failures() == 1) {
            log.info("backend {} failed a health check: {}", id, reason);
        }

        HealthRecord next = HealthRecord.next(previous, id, after, new HealthRecord.Round(now, passed, reason),
                lease.node());
        records.put(id, next);
        store.write(next);
    }

    private void recordTransition(String id, HealthState after, String reason) {
        if (after.healthy()) {
            log.info("backend {} is healthy again after {} passed rounds; it takes new users", id, after.passes());
            director.recordEvent("health", id, "healthy again after " + after.passes() + " passes");
        } else {
            log.warn("backend {} is unhealthy after {} failed rounds, it takes no new users and its connections "
                    + "are closed: {}", id, after.failures(), reason);
            director.recordEvent("health", id, "unhealthy: " + reason);
        }
    }

    /**
     * Marks every unhealthy backend healthy when no node holds the lease, for a node whose health
     * checks are disabled. Without a checker nothing else would ever clear a flag that an earlier
     * checker set. Returns the ids it marked healthy.
     *
     * <p>NOTE: a checking node that is between releasing and taking the lease looks the same as no
     * checker; it marks a still-failing backend unhealthy again after {@code fall} rounds.
     */
    public static List<String> clearFlagsWithoutChecker(Director director, Lease lease) {
        if (lease.holder() != null) {
            return List.of();
        }
        List<String> cleared = new java.util.ArrayList<>();
        for (Backend backend : director.backends()) {
            if (!backend.healthy()) {
                director.updateBackend(backend.id(), b -> b.withHealthy(true));
                director.recordEvent("health", backend.id(), "healthy: no node runs health checks");
                log.warn("backend {} was marked unhealthy, but no node runs health checks; marked healthy",
                        backend.id());
                cleared.add(backend.id());
            }
        }
        return cleared;
    }

    /** Returns whether this node held the lease at its latest tick. */
    public boolean holding() {
        return holding;
    }

    /** Stops the checks and gives the lease up, so another node takes it within one interval. */
    @Override
    public void close() {
        timer.shutdownNow();
        try {
            if (!timer.awaitTermination(settings.interval().toMillis() * 2, TimeUnit.MILLISECONDS)) {
                log.warn("a health check round did not end within {}; giving the lease up anyway",
                        Units.format(settings.interval().multipliedBy(2)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        probeThreads.shutdownNow();
        try {
            lease.release();
        } catch (RuntimeException e) {
            log.debug("giving the health-checks lease up failed, it expires by itself: {}", e.toString());
        }
    }
}
