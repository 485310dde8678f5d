package org.mailpin.gateway.doctor;

/**
 * The result of logging in to one service of one backend.
 *
 * @param service   the protocol
 * @param port      the port tried
 * @param status    how far the check got
 * @param greeting  the backend's greeting line as sent, or null when none arrived
 * @param reply     the backend's reply to the login as sent (an IMAP tag removed), or null when none arrived
 * @param problem   what went wrong, in doctor's words, e.g. {@code connection refused}; null when nothing did
 * @param mailbox   the INBOX as the backend shows it (IMAP after an accepted login), else null
 */
public record ServiceCheck(Service service, int port, CheckStatus status, String greeting, String reply,
                           String problem, Mailbox mailbox) {

    static ServiceCheck notChecked(Service service, int port, String problem) {
        return new ServiceCheck(service, port, CheckStatus.NOT_CHECKED, null, null, problem, null);
    }

    static ServiceCheck notTried(Service service, int port, Service rejected) {
        return new ServiceCheck(service, port, CheckStatus.NOT_TRIED, null, null,
                "not tried: " + rejected.protocolName() + " login rejected", null);
    }
}
