package org.mailpin.director;

/**
 * No backend can take the user: the ring of the user's tag has no up backend with vhosts above 0.
 * Clients should get a temporary failure (IMAP {@code NO [UNAVAILABLE]}, HTTP 503).
 */
public class NoBackendAvailableException extends RuntimeException {

    public NoBackendAvailableException(String user, String tag) {
        super("no backend available for user " + user + (tag.isEmpty() ? "" : " (tag " + tag + ")")
                + ": every backend is down or has vhosts 0");
    }

    protected NoBackendAvailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
