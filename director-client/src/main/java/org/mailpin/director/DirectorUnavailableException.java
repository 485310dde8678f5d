package org.mailpin.director;

/**
 * The shared state rejected a write the director needed, so it cannot create or change an
 * assignment now. The usual cause is a split cluster: the side with fewer than the configured
 * minimum members keeps serving existing assignments but creates no new ones. Clients should get a
 * temporary failure (IMAP {@code NO [UNAVAILABLE]}, HTTP 503), which is why this extends
 * {@link NoBackendAvailableException}.
 */
public class DirectorUnavailableException extends NoBackendAvailableException {

    public DirectorUnavailableException(String user, String reason, Throwable cause) {
        super("cannot assign user " + user + " now: " + reason, cause);
    }
}
