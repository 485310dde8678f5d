package org.mailpin.gateway.metrics;

/** The outcome of one login attempt, as the {@code result} label of {@code mailpin_logins_total}. */
public enum LoginResult {
    /** The backend (or, for webmail, Roundcube) accepted the login. */
    OK("ok"),
    /** The backend rejected the credentials; for webmail, the mailpin plugin reported a failed login. */
    AUTH_FAILED("auth_failed"),
    /**
     * The proxy rejected the login before asking the director: malformed credentials, an invalid
     * user name, a plaintext login where TLS is required, or a webmail form from a foreign origin.
     */
    REJECTED("rejected"),
    /** The director has no backend for the user: all are down, weighted 0, or this node may not assign. */
    NO_BACKEND("no_backend"),
    /** The director lookup failed with an unexpected error. */
    DIRECTOR_ERROR("director_error"),
    /** The backend or Roundcube instance was unreachable, timed out or replied outside its protocol. */
    BACKEND_UNAVAILABLE("backend_unavailable"),
    /** Roundcube replied to the webmail login without a result from the mailpin plugin. */
    UNKNOWN("unknown");

    private final String label;

    LoginResult(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /** True when the login reached a backend or failed while connecting to one, so it has a latency. */
    boolean reachedBackend() {
        return this == OK || this == AUTH_FAILED || this == BACKEND_UNAVAILABLE || this == UNKNOWN;
    }
}
