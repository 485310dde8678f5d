package org.mailpin.director.hazelcast;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.mailpin.director.Assignment;
import org.mailpin.director.AssignmentReason;
import org.mailpin.director.Backend;
import org.mailpin.director.Director;
import org.mailpin.director.DirectorSettings;
import org.mailpin.director.LoginTokens;
import org.mailpin.director.NoBackendAvailableException;
import org.mailpin.director.UsernameNormalizer;
import org.mailpin.director.WebSessions;
import org.mailpin.director.ring.DovecotRing;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;

/**
 * The director on Hazelcast: assignments, backends and web sessions in {@link IMap}s that every
 * gateway node shares.
 *
 * <p>Design: a new assignment is written with {@code putIfAbsent} and an expired one is replaced
 * with {@code replace(key, old, new)}; both are atomic on the key's partition owner, so two nodes
 * racing on one user end with one assignment and both return it. The ring itself is a local
 * immutable snapshot rebuilt whenever the backend map changes, so a lookup costs one
 * {@code IMap.get} plus, at most every {@link #touchInterval}, one write that records activity.
 * Expiry is decided from the {@code lastActivity} stored in the value and the injected clock, so
 * tests advance time instead of sleeping; the map's own max-idle (user-expire plus a margin) only
 * removes entries nobody asked for.
 */
public final class HazelcastDirector implements Director {

    private static final Logger log = LoggerFactory.getLogger(HazelcastDirector.class);
    private static final int MAX_RACE_RETRIES = 16;

    private final HazelcastInstance hazelcast;
    private final DirectorSettings settings;
    private final InstantSource clock;
    private final IMap<String, String> assignments;
    private final IMap<String, String> backendMap;
    private final HazelcastWebSessions webSessions;
    private final HazelcastLoginTokens loginTokens;
    private final Duration touchInterval;
    private final UUID backendListener;
    private volatile Snapshot snapshot;

    public HazelcastDirector(HazelcastInstance hazelcast, DirectorSettings settings, InstantSource clock) {
        this.hazelcast = hazelcast;
        this.settings = settings;
        this.clock = clock;
        this.assignments = hazelcast.getMap(MapNames.ASSIGNMENTS);
        this.backendMap = hazelcast.getMap(MapNames.BACKENDS);
        this.webSessions = new HazelcastWebSessions(hazelcast.getMap(MapNames.WEB_SESSIONS), clock,
                refreshInterval(settings.webSessionIdle()));
        this.loginTokens = new HazelcastLoginTokens(hazelcast.getMap(MapNames.LOGIN_TOKENS));
        this.touchInterval = refreshInterval(settings.userExpire());

        this.backendListener = backendMap.addEntryListener(new BackendListener(), false);
        for (Backend backend : settings.backends()) {
            String previous = backendMap.putIfAbsent(backend.id(), Codec.encode(backend));
            if (previous != null && !previous.equals(Codec.encode(backend))) {
                log.info("backend {} keeps the cluster's state ({}) rather than this node's config",
                        backend.id(), Codec.decodeBackend(previous));
            }
        }
        rebuildRing();
    }

    // Activity is written at most this often per user: often enough that expiry is off by at most
    // a few percent of user-expire, rare enough that a busy webmail session is mostly reads.
    static Duration refreshInterval(Duration lifetime) {
        Duration tenth = lifetime.dividedBy(10);
        Duration cap = Duration.ofSeconds(30);
        return tenth.compareTo(cap) < 0 ? tenth : cap;
    }

    @Override
    public Assignment assign(String user) {
        for (int attempt = 0; attempt < MAX_RACE_RETRIES; attempt++) {
            Instant now = clock.instant();
            String stored = assignments.get(user);

            if (stored == null) {
                Assignment created = newAssignment(user, AssignmentReason.RING, now);
                String winner = assignments.putIfAbsent(user, Codec.encode(created));
                if (winner == null) {
                    log.debug("user {} assigned to backend {} (ring choice)", user, created.backendId());
                    return created;
                }
                continue;
            }

            Assignment current = Codec.decodeAssignment(stored);
            Optional<Backend> backend = backend(current.backendId());
            boolean usable = backend.isPresent() && backend.get().up();
            if (usable && !current.isExpired(now, settings.userExpire())) {
                return touch(stored, current, now);
            }

            AssignmentReason reason = usable ? AssignmentReason.RING : AssignmentReason.BACKEND_DOWN;
            Assignment replacement = newAssignment(user, reason, now);
            if (assignments.replace(user, stored, Codec.encode(replacement))) {
                log.info("user {} reassigned from backend {} to {} ({})", user, current.backendId(),
                        replacement.backendId(), usable ? "previous assignment expired" : "backend down or removed");
                return replacement;
            }
        }
        throw new IllegalStateException("user " + user + ": assignment kept changing under "
                + MAX_RACE_RETRIES + " attempts; is another node rewriting it in a loop?");
    }

    private Assignment newAssignment(String user, AssignmentReason reason, Instant now) {
        Backend backend = ringChoice(user)
                .orElseThrow(() -> new NoBackendAvailableException(user, ""));
        return new Assignment(user, backend.id(), reason, now, now, settings.nodeName());
    }

    private Assignment touch(String stored, Assignment current, Instant now) {
        if (Duration.between(current.lastActivity(), now).compareTo(touchInterval) < 0) {
            return current;
        }
        // A lost race means another node just wrote a newer value, which is as good.
        Assignment touched = current.touchedAt(now);
        assignments.replace(current.user(), stored, Codec.encode(touched));
        return touched;
    }

    @Override
    public void touch(String user) {
        String stored = assignments.get(user);
        if (stored != null) {
            touch(stored, Codec.decodeAssignment(stored), clock.instant());
        }
    }

    @Override
    public Optional<Assignment> find(String user) {
        String stored = assignments.get(user);
        if (stored == null) {
            return Optional.empty();
        }
        Assignment assignment = Codec.decodeAssignment(stored);
        if (assignment.isExpired(clock.instant(), settings.userExpire())) {
            return Optional.empty();
        }
        return Optional.of(assignment);
    }

    @Override
    public Optional<Backend> ringChoice(String user) {
        return snapshot.ring.lookup(settings.normalizer().ringKey(user));
    }

    @Override
    public List<Backend> backends() {
        return snapshot.backends;
    }

    @Override
    public Optional<Backend> backend(String id) {
        return snapshot.backends.stream().filter(b -> b.id().equals(id)).findFirst();
    }

    @Override
    public Duration userExpire() {
        return settings.userExpire();
    }

    @Override
    public UsernameNormalizer normalizer() {
        return settings.normalizer();
    }

    @Override
    public String nodeName() {
        return settings.nodeName();
    }

    @Override
    public WebSessions webSessions() {
        return webSessions;
    }

    @Override
    public LoginTokens loginTokens() {
        return loginTokens;
    }

    /** Returns the Hazelcast instance, for the gateway's cluster status only. */
    public HazelcastInstance hazelcast() {
        return hazelcast;
    }

    @Override
    public void close() {
        backendMap.removeEntryListener(backendListener);
    }

    private synchronized void rebuildRing() {
        List<Backend> backends = backendMap.values().stream()
                .map(Codec::decodeBackend)
                .sorted(Comparator.comparing(Backend::id))
                .toList();
        snapshot = new Snapshot(List.copyOf(backends), DovecotRing.of(backends));
    }

    private record Snapshot(List<Backend> backends, DovecotRing ring) {
    }

    private final class BackendListener implements EntryAddedListener<String, String>,
            EntryUpdatedListener<String, String>, EntryRemovedListener<String, String> {

        @Override
        public void entryAdded(EntryEvent<String, String> event) {
            rebuildRing();
        }

        @Override
        public void entryUpdated(EntryEvent<String, String> event) {
            rebuildRing();
        }

        @Override
        public void entryRemoved(EntryEvent<String, String> event) {
            rebuildRing();
        }
    }
}
