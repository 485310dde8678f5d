package org.mailpin.gateway.mail;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;

import org.mailpin.director.Assignment;
import org.mailpin.director.AssignmentReason;
import org.mailpin.director.Backend;
import org.mailpin.director.BackendPorts;
import org.mailpin.director.Director;
import org.mailpin.director.LoginTokens;
import org.mailpin.director.NoBackendAvailableException;
import org.mailpin.director.UsernameNormalizer;
import org.mailpin.director.WebSessions;

/**
 * A director for unit tests of the mail sessions: every user goes to one backend on 127.0.0.1,
 * or, with no backend set, assign() fails as with an empty ring.
 */
public final class StubDirector implements Director {

    private final List<BiConsumer<String, String>> kickListeners = new CopyOnWriteArrayList<>();

    private final UsernameNormalizer normalizer = new UsernameNormalizer(true, "example.test", "%Lu");
    private volatile Backend backend;

    /** Sends every user to backend be1 on 127.0.0.1 with this port for every protocol. */
    public void useBackend(int port) {
        backend = new Backend("be1", "127.0.0.1", 100, "", new BackendPorts(port, port, port, port, port), null, true);
    }

    public void removeBackend() {
        backend = null;
    }

    @Override
    public Assignment assign(String user) {
        Backend current = backend;
        if (current == null) {
            throw new NoBackendAvailableException(user, "");
        }
        Instant now = Instant.now();
        return new Assignment(user, current.id(), AssignmentReason.RING, now, now, "test-node");
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
        return Optional.ofNullable(backend);
    }

    @Override
    public List<Backend> backends() {
        Backend current = backend;
        return current == null ? List.of() : List.of(current);
    }

    @Override
    public Optional<Backend> backend(String id) {
        Backend current = backend;
        return current != null && current.id().equals(id) ? Optional.of(current) : Optional.empty();
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
    public void close() {
    }
}
