package org.mailpin.gateway.health;

import java.util.Locale;

import org.mailpin.director.BackendPorts;

/** A mail service of a backend that the health checks can probe, with the backend port it uses. */
public enum ProbeProtocol {
    IMAP,
    POP3,
    SIEVE,
    SUBMISSION,
    LMTP;

    /** Returns the backend's port for this service; 0 means the backend does not offer it. */
    public int port(BackendPorts ports) {
        return switch (this) {
            case IMAP -> ports.imap();
            case POP3 -> ports.pop3();
            case SIEVE -> ports.sieve();
            case SUBMISSION -> ports.submission();
            case LMTP -> ports.lmtp();
        };
    }

    /** Returns the name used in the config and in failure reasons, e.g. {@code pop3}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a config name such as {@code imap}; throws IllegalArgumentException naming the value. */
    public static ProbeProtocol parse(String text) {
        for (ProbeProtocol protocol : values()) {
            if (protocol.label().equals(text.strip().toLowerCase(Locale.ROOT))) {
                return protocol;
            }
        }
        throw new IllegalArgumentException("unknown protocol '" + text
                + "': expected imap, pop3, sieve, submission or lmtp");
    }
}
