package org.mailpin.gateway.health;

/**
 * A failed probe. The message is the failure reason that the admin API and the event log show,
 * e.g. {@code imap: connect to 127.0.0.12:143 refused}; it never contains a password.
 */
public final class ProbeFailedException extends Exception {

    public ProbeFailedException(String reason) {
        super(reason);
    }
}
