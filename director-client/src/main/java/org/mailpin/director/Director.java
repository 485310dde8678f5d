package org.mailpin.director;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.UnaryOperator;

/**
 * Decides which backend serves a user. Every gateway node holds one; nodes share the state, so
 * all nodes return the same backend for a user.
 *
 * <p>Methods that take a user expect it already normalized by {@link #normalizer()}.
 */
public interface Director extends AutoCloseable {

    /**
     * Returns the user's assignment, creating it from the ring when the user has none (or it
     * expired, or its backend is gone or down), and records activity so it does not expire.
     * Two nodes calling this at once for a new user get the same assignment.
     *
     * @throws NoBackendAvailableException when a new assignment is needed and the ring is empty
     * @throws DirectorUnavailableException when a new assignment is needed but the shared state
     *         rejects writes, e.g. on the minority side of a split cluster (a subclass of
     *         {@link NoBackendAvailableException}, so callers that map that to a temporary failure
     *         already handle it)
     */
    Assignment assign(String user);

    /**
     * Records activity on the user's existing assignment without ever creating or moving one:
     * the keep-alive of live proxied connections, which must not move a user whose connection is
     * still open on the old backend.
     */
    void touch(String user);

    /** Returns the user's current assignment without creating or refreshing one. */
    Optional<Assignment> find(String user);

    /** Returns the backend the ring picks for the user now, ignoring any sticky assignment. */
    Optional<Backend> ringChoice(String user);

    /** Returns every known backend, in id order. */
    List<Backend> backends();

    Optional<Backend> backend(String id);

    /** How long an assignment lives after the user's last activity. */
    Duration userExpire();

    UsernameNormalizer normalizer();

    /** Name of this node, recorded in the assignments it creates. */
    String nodeName();

    /** Live web sessions, shared by all nodes. */
    WebSessions webSessions();

    /** Login pages issued by Roundcube instances, shared by all nodes. */
    LoginTokens loginTokens();

    /**
     * Publishes a kick to every node: each node closes the user's live connections to the backend,
     * or to every backend when {@code backendId} is null. Registered {@link #onKick} listeners do
     * the closing, on this node as well.
     */
    void kick(String user, String backendId);

    /**
     * Registers a listener that gets every kick published by any node, with the user and the
     * backend id, or null for every backend. Listeners run on a shared event thread, so they must
     * not block.
     */
    void onKick(BiConsumer<String, String> listener);

    /**
     * Registers a listener that gets the whole backend list, in id order, after every change made
     * by any node. Listeners run on a shared event thread, so they must not block.
     */
    void onBackendsChanged(java.util.function.Consumer<List<Backend>> listener);

    /**
     * Returns every unexpired assignment, sorted by user. Reads the whole shared map, so it is
     * meant for administration, not for the login path.
     */
    List<Assignment> assignments();

    /**
     * Adds a backend to the cluster. New users may land on it at once; assigned users stay.
     *
     * @throws IllegalArgumentException when the id or the address is already taken
     */
    void addBackend(Backend backend);

    /**
     * Applies a change to a backend atomically against concurrent changes from other nodes (an
     * administrator on one node, the health checker on another), and returns the result.
     *
     * @throws UnknownBackendException when no backend has that id
     */
    Backend updateBackend(String id, UnaryOperator<Backend> change);

    /**
     * Removes a backend. Its users get a new backend from the ring at their next login; the
     * gateway closes their live connections.
     *
     * @throws UnknownBackendException when no backend has that id
     */
    Backend removeBackend(String id);

    /**
     * Assigns the user to a backend regardless of the ring and kicks the user's connections on the
     * previous backend, as {@code doveadm director move} does.
     *
     * @throws UnknownBackendException when no backend has that id
     * @throws IllegalStateException when the backend is down or unhealthy
     * @throws DirectorUnavailableException when the shared state rejects writes
     */
    Assignment move(String user, String backendId);

    /**
     * Moves a user whose assignment differs from the ring's current choice to that choice, and
     * kicks the user's connections on the previous backend. Returns the new assignment, or empty
     * when the user is already on the ring's choice, has no assignment, or the assignment changed
     * meanwhile (then the newer value wins and the caller may retry).
     */
    Optional<Assignment> flush(Assignment current);

    /** Returns up to {@code max} of the cluster's newest events, newest first. */
    List<ClusterEvent> recentEvents(int max);

    /** Records an event in the cluster's event log, e.g. a health transition. */
    void recordEvent(String type, String subject, String detail);

    @Override
    void close();
}
