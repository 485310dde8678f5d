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

    private MapNames() {
    }
}
