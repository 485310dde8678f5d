package org.mailpin.director.hazelcast;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

import org.mailpin.director.Assignment;
import org.mailpin.director.AssignmentReason;
import org.mailpin.director.Backend;
import org.mailpin.director.Director;
import org.mailpin.director.DirectorSettings;
import org.mailpin.director.DirectorUnavailableException;
import org.mailpin.director.LoginTokens;
import org.mailpin.director.NoBackendAvailableException;
import org.mailpin.director.UnknownBackendException;
import org.mailpin.director.UsernameNormalizer;
import org.mailpin.director.WebSessions;
import org.mailpin.director.ring.DovecotRing;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.hazelcast.client.HazelcastClientOfflineException;
import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionException;
import com.hazelcast.topic.ITopic;

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
 *
 * <p>Split clusters: with a split-brain protection configured (see {@link HazelcastMembers}), a
 * side with fewer members than the minimum rejects assignment writes. There {@link #assign}
 * returns existing assignments from reads and throws {@link DirectorUnavailableException} when it
 * would have to write a new one. Kicks travel on the {@link MapNames#KICKS} topic to every node.
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
    private final ITopic<String> kicks;
    private final ClusterEvents events;
    private final UUID kickListener;
    private final List<BiConsumer<String, String>> kickListeners = new CopyOnWriteArrayList<>();
    private final List<java.util.function.Consumer<List<Backend>>> backendListeners = new CopyOnWriteArrayList<>();
    private final List<BiConsumer<Assignment, Assignment>> assignmentListeners = new CopyOnWriteArrayList<>();
    private final UUID lifecycleListener;
    private final AtomicLong lastRejectedWriteWarning = new AtomicLong();
    private volatile Supplier<Map<String, Set<String>>> liveBackends = Map::of;
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
        this.kicks = hazelcast.getTopic(MapNames.KICKS);
        this.events = new ClusterEvents(hazelcast, settings.nodeName(), clock);
        this.kickListener = kicks.addMessageListener(message -> deliverKick(message.getMessageObject()));
        this.lifecycleListener = hazelcast.getLifecycleService().addLifecycleListener(this::lifecycleChanged);
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
        try {
            return assignOrThrow(user);
        } catch (SplitBrainProtectionException e) {
            throw new DirectorUnavailableException(user, "this node's cluster has fewer members than "
                    + "cluster.min-members, so it writes no new assignments until the missing members return ("
                    + e.getMessage() + ")", e);
        } catch (HazelcastClientOfflineException e) {
            throw new DirectorUnavailableException(user,
                    "this node's Hazelcast client is disconnected from the cluster and reconnecting", e);
        }
    }

    private Assignment assignOrThrow(String user) {
        for (int attempt = 0; attempt < MAX_RACE_RETRIES; attempt++) {
            Instant now = clock.instant();
            String stored = assignments.get(user);

            if (stored == null) {
                Assignment created = newAssignment(user, AssignmentReason.RING, now);
                String winner = assignments.putIfAbsent(user, Codec.encode(created));
                if (winner == null) {
                    log.debug("user {} assigned to backend {} (ring choice)", user, created.backendId());
                    notifyAssigned(created, null);
                    return created;
                }
                continue;
            }

            Assignment current = Codec.decodeAssignment(stored);
            Optional<Backend> backend = backend(current.backendId());
            boolean usable = backend.isPresent() && backend.get().usable();
            if (usable && !current.isExpired(now, settings.userExpire())) {
                return touch(stored, current, now);
            }

            AssignmentReason reason = usable ? AssignmentReason.RING : AssignmentReason.BACKEND_DOWN;
            Assignment replacement = newAssignment(user, reason, now);
            if (assignments.replace(user, stored, Codec.encode(replacement))) {
                log.info("user {} reassigned from backend {} to {} ({})", user, current.backendId(),
                        replacement.backendId(), usable ? "previous assignment expired" : "backend down or removed");
                notifyAssigned(replacement, current);
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
        try {
            assignments.replace(current.user(), stored, Codec.encode(touched));
        } catch (SplitBrainProtectionException e) {
            // The assignment stays usable from reads; it only misses this activity record.
            warnRejectedWrite(current.user(), e);
            return current;
        }
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

    @Override
    public void kick(String user, String backendId) {
        if (user.isEmpty()) {
            throw new IllegalArgumentException("cannot kick an empty user");
        }
        kicks.publish(user + "\t" + (backendId == null ? "" : backendId));
        events.record("kick", user, backendId == null ? "connections on every backend" : "connections on backend " + backendId);
        log.info("kick of user {} on {} published", user, backendId == null ? "every backend" : "backend " + backendId);
    }

    /**
     * Registers a listener that gets every assignment this node writes, with the assignment it
     * replaced, or null for a user that had none. Other nodes' writes are not reported. Listeners
     * run on the thread that called {@link #assign}, often a login, so they must be quick.
     */
    public void onNewAssignment(BiConsumer<Assignment, Assignment> listener) {
        assignmentListeners.add(listener);
    }

    private void notifyAssigned(Assignment created, Assignment previous) {
        for (BiConsumer<Assignment, Assignment> listener : assignmentListeners) {
            try {
                listener.accept(created, previous);
            } catch (RuntimeException e) {
                log.warn("assignment listener failed for user {}", created.user(), e);
            }
        }
    }

    @Override
    public void onKick(BiConsumer<String, String> listener) {
        kickListeners.add(listener);
    }

    @Override
    public List<org.mailpin.director.ClusterEvent> recentEvents(int max) {
        return events.recent(max);
    }

    @Override
    public void recordEvent(String type, String subject, String detail) {
        events.record(type, subject, detail);
    }

    @Override
    public void onBackendsChanged(java.util.function.Consumer<List<Backend>> listener) {
        backendListeners.add(listener);
    }

    @Override
    public List<Assignment> assignments() {
        Instant now = clock.instant();
        return assignments.values().stream()
                .map(Codec::decodeAssignment)
                .filter(a -> !a.isExpired(now, settings.userExpire()))
                .sorted(Comparator.comparing(Assignment::user))
                .toList();
    }

    @Override
    public void addBackend(Backend backend) {
        for (Backend existing : readBackends()) {
            if (existing.address().equals(backend.address()) && !existing.id().equals(backend.id())) {
                throw new IllegalArgumentException("address " + backend.address() + " already belongs to backend "
                        + existing.id() + "; the address is a backend's identity on the ring, so two cannot share it");
            }
        }
        String previous = backendMap.putIfAbsent(backend.id(), Codec.encode(backend));
        if (previous != null) {
            throw new IllegalArgumentException("backend id '" + backend.id() + "' already exists ("
                    + Codec.decodeBackend(previous).address() + "); use update to change it");
        }
        rebuildRing();
        events.record("backend", backend.id(), "added (" + backend.address() + "), " + describe(backend));
        log.info("backend {} ({}) added with {} vhosts{}", backend.id(), backend.address(), backend.vhosts(),
                backend.tag().isEmpty() ? "" : " in tag " + backend.tag());
    }

    @Override
    public Backend updateBackend(String id, UnaryOperator<Backend> change) {
        for (int attempt = 0; attempt < MAX_RACE_RETRIES; attempt++) {
            String stored = backendMap.get(id);
            if (stored == null) {
                throw new UnknownBackendException(id, readBackends());
            }
            Backend current = Codec.decodeBackend(stored);
            Backend changed = change.apply(current);
            if (!changed.id().equals(id) || !changed.address().equals(current.address())) {
                throw new IllegalArgumentException("backend " + id + ": id and address cannot change; "
                        + "remove the backend and add a new one instead");
            }
            if (changed.equals(current)) {
                return current;
            }
            if (backendMap.replace(id, stored, Codec.encode(changed))) {
                rebuildRing();
                log.info("backend {} changed: {} -> {}", id, describe(current), describe(changed));
                events.record("backend", id, describe(current) + " -> " + describe(changed));
                return changed;
            }
        }
        throw new IllegalStateException("backend " + id + " kept changing under " + MAX_RACE_RETRIES + " attempts");
    }

    @Override
    public Backend removeBackend(String id) {
        String removed = backendMap.remove(id);
        if (removed == null) {
            throw new UnknownBackendException(id, readBackends());
        }
        rebuildRing();
        Backend backend = Codec.decodeBackend(removed);
        log.info("backend {} ({}) removed", id, backend.address());
        events.record("backend", id, "removed (" + backend.address() + ")");
        return backend;
    }

    @Override
    public Assignment move(String user, String backendId) {
        String stored = backendMap.get(backendId);
        if (stored == null) {
            throw new UnknownBackendException(backendId, readBackends());
        }
        Backend target = Codec.decodeBackend(stored);
        if (!target.up()) {
            throw new IllegalStateException("backend " + backendId + " is marked down by an administrator; "
                    + "run 'mailpin up " + backendId + "' first or move the user elsewhere");
        }
        if (!target.healthy()) {
            throw new IllegalStateException("backend " + backendId + " is failing its health checks ('mailpin health' "
                    + "shows why); fix the backend, wait until the checks pass, or move the user elsewhere");
        }

        Instant now = clock.instant();
        Assignment moved = new Assignment(user, backendId, AssignmentReason.MOVED_BY_ADMIN, now, now,
                settings.nodeName());
        String previous;
        try {
            previous = assignments.put(user, Codec.encode(moved));
        } catch (SplitBrainProtectionException e) {
            throw new DirectorUnavailableException(user, "this node's cluster has fewer members than "
                    + "cluster.min-members, so it cannot move users until the missing members return", e);
        }

        Assignment replaced = previous == null ? null : Codec.decodeAssignment(previous);
        notifyAssigned(moved, replaced);
        String from = replaced == null ? null : replaced.backendId();
        log.info("user {} moved by administrator from {} to backend {}", user,
                from == null ? "no assignment" : "backend " + from, backendId);
        events.record("move", user, (from == null ? "unassigned" : from) + " -> " + backendId);
        if (from != null && !from.equals(backendId)) {
            kick(user, from);
        }
        return moved;
    }

    @Override
    public Optional<Assignment> flush(Assignment current) {
        Optional<Backend> choice = ringChoice(current.user());
        if (choice.isEmpty() || choice.get().id().equals(current.backendId())) {
            return Optional.empty();
        }

        Instant now = clock.instant();
        Assignment flushed = new Assignment(current.user(), choice.get().id(), AssignmentReason.RING, now, now,
                settings.nodeName());
        boolean replaced;
        try {
            replaced = assignments.replace(current.user(), Codec.encode(current), Codec.encode(flushed));
        } catch (SplitBrainProtectionException e) {
            throw new DirectorUnavailableException(current.user(), "this node's cluster has fewer members than "
                    + "cluster.min-members, so it cannot flush users until the missing members return", e);
        }
        if (!replaced) {
            return Optional.empty();
        }
        log.info("user {} flushed from backend {} to its ring choice {}", current.user(), current.backendId(),
                flushed.backendId());
        events.record("flush", current.user(), current.backendId() + " -> " + flushed.backendId());
        notifyAssigned(flushed, current);
        kick(current.user(), current.backendId());
        return Optional.of(flushed);
    }

    private static String describe(Backend b) {
        return (b.up() ? "up" : "down") + (b.healthy() ? "" : " (unhealthy)") + ", vhosts " + b.vhosts()
                + (b.tag().isEmpty() ? "" : ", tag " + b.tag());
    }

    private List<Backend> readBackends() {
        return backendMap.values().stream().map(Codec::decodeBackend)
                .sorted(Comparator.comparing(Backend::id)).toList();
    }

    /**
     * Sets the source of this node's live connections, as user to the ids of the backends they
     * are proxied to, for {@link #kickStaleConnections()}. The gateway supplies it, so the
     * director needs no gateway classes.
     */
    public void liveBackends(Supplier<Map<String, Set<String>>> source) {
        this.liveBackends = source;
    }

    /**
     * Kicks every live connection of this node whose backend is not its user's assignment, and
     * returns how many (user, backend) kicks it published. Runs by itself on every node after a
     * split cluster heals (Hazelcast's MERGED event on any member) and after a client connects
     * again, because then the merged assignment can differ from the one a connection was opened
     * with. Users without an assignment are left alone.
     */
    public int kickStaleConnections() {
        int published = 0;
        for (Map.Entry<String, Set<String>> live : liveBackends.get().entrySet()) {
            String user = live.getKey();
            String stored = assignments.get(user);
            if (stored == null) {
                continue;
            }
            String assigned = Codec.decodeAssignment(stored).backendId();
            for (String backendId : live.getValue()) {
                if (!backendId.equals(assigned)) {
                    log.warn("user {} has live connections on backend {} but is assigned to {}; kicking them",
                            user, backendId, assigned);
                    kick(user, backendId);
                    published++;
                }
            }
        }
        return published;
    }

    /** Returns the Hazelcast instance, for the gateway's cluster status only. */
    public HazelcastInstance hazelcast() {
        return hazelcast;
    }

    @Override
    public void close() {
        hazelcast.getLifecycleService().removeLifecycleListener(lifecycleListener);
        kicks.removeMessageListener(kickListener);
        backendMap.removeEntryListener(backendListener);
    }

    private void deliverKick(String message) {
        int tab = message.indexOf('\t');
        if (tab < 0) {
            log.warn("ignoring unreadable kick event '{}': expected user, tab, backend id", message);
            return;
        }
        if (tab == 0) {
            checkStaleConnectionsInBackground("a check request from another node");
            return;
        }
        String user = message.substring(0, tab);
        String backendId = tab + 1 == message.length() ? null : message.substring(tab + 1);
        for (BiConsumer<String, String> listener : kickListeners) {
            try {
                listener.accept(user, backendId);
            } catch (RuntimeException e) {
                log.warn("kick listener failed for user {} on backend {}", user, backendId, e);
            }
        }
    }

    private void lifecycleChanged(LifecycleEvent event) {
        switch (event.getState()) {
            // Only the members that joined the other side get MERGED, but a connection on any node
            // can be on the losing backend, so every node checks its own.
            case MERGED -> requestStaleConnectionCheck();
            case CLIENT_CONNECTED -> checkStaleConnectionsInBackground("the Hazelcast client connected");
            default -> {
            }
        }
    }

    /**
     * Asks every node, this one included, to run {@link #kickStaleConnections()}: a kick event with
     * an empty user, which no real user can have.
     */
    public void requestStaleConnectionCheck() {
        kicks.publish("\t");
    }

    // Event threads must not wait on map calls, so the check runs on its own virtual thread.
    private void checkStaleConnectionsInBackground(String cause) {
        Thread.ofVirtual().name("mailpin-stale-connections").start(() -> {
            try {
                int kicked = kickStaleConnections();
                log.info("compared live connections with assignments after {}: {} kick(s) published", cause, kicked);
            } catch (RuntimeException e) {
                log.warn("comparing live connections with assignments after {} failed", cause, e);
            }
        });
    }

    // A minority side rejects every activity write, so log one WARN a minute, not one per user.
    private void warnRejectedWrite(String user, SplitBrainProtectionException e) {
        long now = System.nanoTime();
        long last = lastRejectedWriteWarning.get();
        if (last != 0 && now - last < TimeUnit.MINUTES.toNanos(1)) {
            log.debug("activity of user {} not recorded: {}", user, e.getMessage());
            return;
        }
        if (lastRejectedWriteWarning.compareAndSet(last, now)) {
            log.warn("activity of user {} not recorded, existing assignments stay readable but are not refreshed "
                    + "(logged at most once a minute): {}", user, e.getMessage());
        }
    }

    // Called from the entry listener on every node, and directly after this node's own change so
    // that a command's caller sees its effect here without waiting for the event.
    private synchronized void rebuildRing() {
        List<Backend> backends = readBackends();
        if (snapshot != null && snapshot.backends.equals(backends)) {
            return;
        }
        snapshot = new Snapshot(List.copyOf(backends), DovecotRing.of(backends));
        for (java.util.function.Consumer<List<Backend>> listener : backendListeners) {
            try {
                listener.accept(snapshot.backends);
            } catch (RuntimeException e) {
                log.warn("backend change listener failed", e);
            }
        }
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
