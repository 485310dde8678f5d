package org.mailpin.gateway.mail;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.function.UnaryOperator;

import org.mailpin.director.Assignment;
import org.mailpin.director.AssignmentReason;
import org.mailpin.director.Backend;
import org.mailpin.director.BackendPorts;
import org.mailpin.director.Director;
import org.mailpin.director.LoginTokens;
import org.mailpin.director.NoBackendAvailableException;
import org.mailpin.director.UnknownBackendException;
import org.mailpin.director.UsernameNormalizer;
import org.mailpin.director.WebSessions;

/**
 * An in-memory director for unit tests of the mail sessions. Users go to the backend routed for
 * them, else to the default backend; with neither, assign() fails as with an empty ring.
 */
public final class StubDirector implements Director {

    private final List<BiConsumer<String, String>> kickListeners = new CopyOnWriteArrayList<>();
    private final Map<String, Backend> backends = new ConcurrentHashMap<>();
    private final Map<String, String> routes = new ConcurrentHashMap<>();
    private final List<String> assigned = new CopyOnWriteArrayList<>();
    private final UsernameNormalizer normalizer = new UsernameNormalizer(true, "example.test", "%Lu");
    private volatile Backend defaultBackend;

    /** Sends every user without a route to backend be1 on 127.0.0.1 with this port for every protocol. */
    public void useBackend(int port) {
        defaultBackend = new Backend("be1", "127.0.0.1", 100, "", new BackendPorts(port, port, port, port, port),
                null, true);
        backends.put(defaultBackend.id(), defaultBackend);
    }

    /** Removes the default backend, so users without a route get {@link NoBackendAvailableException}. */
    public void removeDefaultBackend() {
        Backend current = defaultBackend;
        defaultBackend = null;
        if (current != null) {
            backends.remove(current.id());
        }
    }

    @Override
    public void addBackend(Backend backend) {
        backends.put(backend.id(), backend);
    }

    /** Routes one user to a backend added with {@link #addBackend}. */
    public void route(String user, String backendId) {
        routes.put(user, backendId);
    }

    /** Returns every user passed to {@link #assign}, in call order. */
    public List<String> assigned() {
        return List.copyOf(assigned);
    }

    @Override
    public Assignment assign(String user) {
        assigned.add(user);
        Backend backend = ringChoice(user).orElseThrow(() -> new NoBackendAvailableException(user, ""));
        Instant now = Instant.now();
        return new Assignment(user, backend.id(), AssignmentReason.RING, now, now, "test-node");
    }

    @Override
    public void touch(String user) {
    }

    @Override
    public Optional<Assignment> find(String user) {
        return Optional.empty();
    }

    @Override
    public Optional<Backend> ringChoice(String user) {
        String routed = routes.get(user);
        if (routed != null) {
            return Optional.ofNullable(backends.get(routed));
        }
        return Optional.ofNullable(defaultBackend);
    }

    @Override
    public List<Backend> backends() {
        return List.copyOf(backends.values());
    }

    @Override
    public Optional<Backend> backend(String id) {
        return Optional.ofNullable(backends.get(id));
    }

    @Override
    public Duration userExpire() {
        return Duration.ofMinutes(15);
    }

    @Override
    public UsernameNormalizer normalizer() {
        return normalizer;
    }

    @Override
    public String nodeName() {
        return "test-node";
    }

    @Override
    public WebSessions webSessions() {
        throw new UnsupportedOperationException("mail sessions do not use web sessions");
    }

    @Override
    public LoginTokens loginTokens() {
        throw new UnsupportedOperationException("mail sessions do not use login tokens");
    }

    // A single node: kicks go straight to this node's listeners.
    @Override
    public void kick(String user, String backendId) {
        kickListeners.forEach(listener -> listener.accept(user, backendId));
    }

    @Override
    public void onKick(BiConsumer<String, String> listener) {
        kickListeners.add(listener);
    }

    @Override
    public List<org.mailpin.director.ClusterEvent> recentEvents(int max) {
        return List.of();
    }

    @Override
    public void recordEvent(String type, String subject, String detail) {
    }

    @Override
    public void onBackendsChanged(java.util.function.Consumer<List<Backend>> listener) {
    }

    @Override
    public List<Assignment> assignments() {
        return List.of();
    }

    @Override
    public Backend updateBackend(String id, UnaryOperator<Backend> change) {
        return backends.compute(id, (key, current) -> {
            if (current == null) {
                throw new UnknownBackendException(id, backends.values());
            }
            return change.apply(current);
        });
    }

    @Override
    public Backend removeBackend(String id) {
        Backend removed = backends.remove(id);
        if (removed == null) {
            throw new UnknownBackendException(id, backends.values());
        }
        return removed;
    }

    @Override
    public Assignment move(String user, String backendId) {
        routes.put(user, backendId);
        return assign(user);
    }

    @Override
    public Optional<Assignment> flush(Assignment current) {
        return Optional.empty();
    }

    @Override
    public void close() {
    }
}
