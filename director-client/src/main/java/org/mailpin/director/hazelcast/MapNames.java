package org.mailpin.director.hazelcast;

/** Names of the shared Hazelcast structures; every node and every version must agree on them. */
public final class MapNames {

    /** normalized user to encoded assignment. */
    public static final String ASSIGNMENTS = "mailpin.assignments";
    /** backend id to encoded backend. */
    public static final String BACKENDS = "mailpin.backends";
    /** web session id to encoded web session. */
    public static final String WEB_SESSIONS = "mailpin.web-sessions";

    /** Roundcube session cookie to the instance and token of the login page it was issued with. */
    public static final String LOGIN_TOKENS = "mailpin.login-tokens";

    /** Topic of kick events, each {@code user + "\t" + backendId} with an empty id for every backend. */
    public static final String KICKS = "mailpin.kicks";

    /**
     * Gateway node name to that node's status as JSON (version, start time, live connections),
     * rewritten every few seconds with a short TTL, so a node that stopped drops out by itself.
     */
    public static final String NODES = "mailpin.nodes";

    /** Ring buffer of recent cluster events (moves, kicks, backend and health changes). */
    public static final String EVENTS = "mailpin.events";

    /**
     * Topic of questions to every gateway node, each {@code requestId "\t" askingNode "\t" kind
     * "\t" argument}; see {@link ClusterQueries}.
     */
    public static final String QUERIES = "mailpin.queries";

    /** {@code requestId "\t" node} to that node's reply to a {@link #QUERIES} request, with a short TTL. */
    public static final String QUERY_REPLIES = "mailpin.query-replies";

    /** Lease name to the name of the node holding it, with a TTL; the holder renews it. */
    public static final String LEASES = "mailpin.leases";

    /**
     * Backend id to that backend's health record as JSON (streaks, last failure, recent rounds),
     * written by the node that holds the {@code health-checks} lease.
     */
    public static final String HEALTH = "mailpin.health";

    /** Split-brain protection applied to writes of {@link #ASSIGNMENTS}. */
    public static final String ASSIGNMENTS_PROTECTION = "mailpin.assignments-majority";

    private MapNames() {
    }
}
