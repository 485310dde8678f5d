package org.mailpin.director;

/**
 * TCP ports of one backend's services. A port of 0 means the backend does not offer that service.
 */
public record BackendPorts(int imap, int pop3, int lmtp, int sieve, int submission) {

    /** Dovecot's usual ports: IMAP 143, POP3 110, LMTP 24, ManageSieve 4190, Submission 587. */
    public static final BackendPorts DEFAULTS = new BackendPorts(143, 110, 24, 4190, 587);

    public BackendPorts {
        checkPort("imap", imap);
        checkPort("pop3", pop3);
        checkPort("lmtp", lmtp);
        checkPort("sieve", sieve);
        checkPort("submission", submission);
    }

    private static void checkPort(String service, int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(
                    "invalid " + service + " port " + port + ": expected 0 (no such service) to 65535");
        }
    }
}
