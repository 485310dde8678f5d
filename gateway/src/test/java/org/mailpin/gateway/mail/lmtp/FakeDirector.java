package org.mailpin.gateway.mail.lmtp;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;

import org.mailpin.director.Assignment;
import org.mailpin.director.AssignmentReason;
import org.mailpin.director.Backend;
import org.mailpin.director.Director;
import org.mailpin.director.LoginTokens;
import org.mailpin.director.NoBackendAvailableException;
import org.mailpin.director.UsernameNormalizer;
import org.mailpin.director.WebSessions;

/** A director with fixed user-to-backend routes; a user without a route has no backend available. */
final class FakeDirector implements Director {

    private final List<BiConsumer<String, String>> kickListeners = new CopyOnWriteArrayList<>();

    private final Map<String, Backend> backends = new ConcurrentHashMap<>();
    private final Map<String, String> routes = new ConcurrentHashMap<>();
    private final List<String> assigned = new CopyOnWriteArrayList<>();
    private final UsernameNormalizer normalizer = new UsernameNormalizer(true, "example.test", "%Lu");

    void addBackend(Backend backend) {
        backends.put(backend.id(), backend);
    }

    void route(String user, String backendId) {
        routes.put(user, backendId);
    }

    /** Returns every user passed to {@link #assign}, in call order. */
    List<String> assigned() {
        return List.copyOf(assigned);
    }

    @Override
    public Assignment assign(String user) {
        assigned.add(user);
        String backendId = routes.get(user);
        if (backendId == null) {
            throw new NoBackendAvailableException(user, "");
        }
        Instant now = Instant.now();
        return new Assignment(user, backendId, AssignmentReason.RING, now, now, "test");
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
        return Optional.ofNullable(routes.get(user)).map(backends::get);
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
        return "test";
    }

    @Override
    public WebSessions webSessions() {
        throw new UnsupportedOperationException("LMTP tests use no web sessions");
    }

    @Override
    public LoginTokens loginTokens() {
        throw new UnsupportedOperationException("LMTP tests use no login tokens");
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
    public void close() {
    }
}
