package org.mailpin.gateway.doctor;

import java.util.Locale;

/** How far one login check on one backend service got. */
public enum CheckStatus {
    /** The backend accepted the login. */
    ACCEPTED,
    /** The backend replied to the login with a rejection (IMAP {@code NO}, POP3 {@code -ERR}, ManageSieve {@code NO}). */
    REJECTED,
    /** No connection or no greeting: refused, unreachable or silent. */
    UNREACHABLE,
    /** Connected, but the exchange broke off or the backend sent an unexpected reply. */
    FAILED,
    /** The backend's time budget ran out before this check started. */
    NOT_CHECKED,
    /** Skipped because the backend rejected an earlier login of this run, see {@link BackendChecker}. */
    NOT_TRIED;

    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', ' ');
    }
}
