package org.mailpin.gateway.mail;

import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.mailpin.director.Director;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxied connections of this node, by id, so a kick can close every connection of a user
 * and the director keeps the user's assignment alive while any of them is open.
 */
public final class LiveConnections implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LiveConnections.class);

    /** One authenticated, proxied connection. */
    public record Entry(String id, String user, Protocol protocol, String backendId, String clientIp,
                        Instant since, Closeable connection) {
    }

    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    private final ScheduledExecutorService keepAlive;

    /**
     * @param director  the director whose assignments are refreshed
     * @param interval  how often each live user's assignment is refreshed; well below user-expire
     */
    public LiveConnections(Director director, Duration interval) {
        this.keepAlive = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("keep-alive").factory());
        keepAlive.scheduleWithFixedDelay(() -> touchAll(director), interval.toMillis(), interval.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** Registers a connection; closing the returned handle removes it. */
    public AutoCloseable register(Entry entry) {
        entries.put(entry.id(), entry);
        return () -> entries.remove(entry.id());
    }

    public List<Entry> forUser(String user) {
        return entries.values().stream().filter(e -> e.user().equals(user))
                .sorted(Comparator.comparing(Entry::since)).toList();
    }

    public List<Entry> forBackend(String backendId) {
        return entries.values().stream().filter(e -> e.backendId().equals(backendId))
                .sorted(Comparator.comparing(Entry::since)).toList();
    }

    public List<Entry> all() {
        return entries.values().stream().sorted(Comparator.comparing(Entry::since)).toList();
    }

    /** Returns a read-only live view of the entries in no order, which is cheaper than {@link #all()} for counting. */
    public Collection<Entry> view() {
        return Collections.unmodifiableCollection(entries.values());
    }

    /** Closes every connection of the user on this node; returns how many. */
    public int kick(String user) {
        List<Entry> victims = forUser(user);
        for (Entry entry : victims) {
            try {
                entry.connection().close();
            } catch (IOException e) {
                log.debug("closing {} of {} failed: {}", entry.id(), user, e.toString());
            }
            entries.remove(entry.id());
        }
        return victims.size();
    }

    void touchAll(Director director) {
        for (String user : entries.values().stream().map(Entry::user).distinct().toList()) {
            try {
                director.touch(user);
            } catch (RuntimeException e) {
                log.warn("keeping the assignment of {} alive failed: {}", user, e.toString());
            }
        }
    }

    @Override
    public void close() {
        keepAlive.shutdownNow();
    }
}
