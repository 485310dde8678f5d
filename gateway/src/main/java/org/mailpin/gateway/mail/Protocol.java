package org.mailpin.gateway.mail;

import java.util.Locale;

import org.mailpin.director.BackendPorts;

/** The mail protocols the gateway proxies, each with how TLS starts and which backend port it uses. */
public enum Protocol {
    IMAP(false),
    IMAPS(true),
    POP3(false),
    POP3S(true),
    LMTP(false),
    SIEVE(false),
    SUBMISSION(false),
    SUBMISSIONS(true);

    private final boolean implicitTls;

    Protocol(boolean implicitTls) {
        this.implicitTls = implicitTls;
    }

    /** True when TLS starts with the connection rather than with STARTTLS/STLS. */
    public boolean implicitTls() {
        return implicitTls;
    }

    /** Returns the backend port that serves this protocol (always the plaintext port: the proxy speaks plaintext to backends). */
    public int backendPort(BackendPorts ports) {
        return switch (this) {
            case IMAP, IMAPS -> ports.imap();
            case POP3, POP3S -> ports.pop3();
            case LMTP -> ports.lmtp();
            case SIEVE -> ports.sieve();
            case SUBMISSION, SUBMISSIONS -> ports.submission();
        };
    }

    /** The name used in the config and in logs, e.g. {@code imaps}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a config name such as {@code imap} or {@code submissions}. */
    public static Protocol parse(String text) {
        for (Protocol protocol : values()) {
            if (protocol.label().equals(text.strip().toLowerCase(Locale.ROOT))) {
                return protocol;
            }
        }
        throw new IllegalArgumentException("unknown protocol '" + text
                + "': expected imap, imaps, pop3, pop3s, lmtp, sieve, submission or submissions");
    }
}
