package org.mailpin.gateway.doctor;

import java.util.Locale;

import org.mailpin.director.BackendPorts;

/** A backend service that doctor logs in to. */
public enum Service {
    IMAP,
    POP3,
    SIEVE;

    /** Returns the backend's port for this service, or 0 when the backend does not offer it. */
    public int port(BackendPorts ports) {
        return switch (this) {
            case IMAP -> ports.imap();
            case POP3 -> ports.pop3();
            case SIEVE -> ports.sieve();
        };
    }

    /** Returns the protocol's usual name for sentences, e.g. {@code ManageSieve}. */
    public String protocolName() {
        return switch (this) {
            case IMAP -> "IMAP";
            case POP3 -> "POP3";
            case SIEVE -> "ManageSieve";
        };
    }

    /** Returns the name used in the report and in the config keys, e.g. {@code imap}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
