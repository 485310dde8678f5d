package org.mailpin.gateway.health;

import java.time.Duration;

/**
 * Probes one mail service of a backend as a client would start a session: TCP connect, the
 * greeting, the capability command, and a polite logout, all within one timeout. Nothing is
 * authenticated, so a probe never touches a mailbox.
 *
 * <p>What passes: IMAP greets with {@code * OK} and replies OK to {@code CAPABILITY} and
 * {@code LOGOUT} (RFC 9051). POP3 greets with {@code +OK} and replies {@code +OK} to {@code CAPA}
 * and {@code QUIT} (RFC 2449). ManageSieve greets with capability lines ending in {@code OK} and
 * replies OK to {@code LOGOUT} (RFC 5804). Submission and LMTP greet with 220, reply 250 to EHLO or
 * LHLO and 221 to QUIT (RFC 5321, RFC 2033).
 */
public final class MailProbe {

    // EHLO and LHLO need a domain; this one only names the prober in the backend's log.
    static final String HELO_NAME = "mailpin-health-check";

    private final Duration timeout;
    private final String sourceAddress;

    /** @param sourceAddress local address to connect from, or null to let the kernel choose */
    public MailProbe(Duration timeout, String sourceAddress) {
        this.timeout = timeout;
        this.sourceAddress = sourceAddress;
    }

    /**
     * Runs the probe and returns normally when the service passes.
     *
     * @throws ProbeFailedException with the reason, e.g. {@code pop3: greeting timed out after 3 s}
     */
    public void check(ProbeProtocol protocol, String host, int port) throws ProbeFailedException {
        try (ProbeConnection connection = ProbeConnection.open(protocol.label(), host, port, timeout, sourceAddress)) {
            switch (protocol) {
                case IMAP -> imap(connection);
                case POP3 -> pop3(connection);
                case SIEVE -> sieve(connection);
                case SUBMISSION -> smtp(connection, "EHLO");
                case LMTP -> smtp(connection, "LHLO");
            }
        }
    }

    private static void imap(ProbeConnection c) throws ProbeFailedException {
        String greeting = c.readLine("greeting");
        if (!startsWithIgnoreCase(greeting, "* OK")) {
            throw c.failure("unexpected greeting '" + greeting + "', expected * OK");
        }
        c.send("h1 CAPABILITY");
        imapTagged(c, "h1", "CAPABILITY");
        c.send("h2 LOGOUT");
        imapTagged(c, "h2", "LOGOUT");
    }

    // Skips untagged lines (the capability list, BYE before a LOGOUT's OK) up to the tagged status.
    private static void imapTagged(ProbeConnection c, String tag, String command) throws ProbeFailedException {
        while (true) {
            String line = c.readLine(command + " response");
            if (line.startsWith(tag + " ")) {
                if (!startsWithIgnoreCase(line.substring(tag.length() + 1), "OK")) {
                    throw c.failure(command + " failed: '" + line + "'");
                }
                return;
            }
        }
    }

    private static void pop3(ProbeConnection c) throws ProbeFailedException {
        String greeting = c.readLine("greeting");
        if (!greeting.startsWith("+OK")) {
            throw c.failure("unexpected greeting '" + greeting + "', expected +OK");
        }
        c.send("CAPA");
        String status = c.readLine("CAPA response");
        if (!status.startsWith("+OK")) {
            throw c.failure("CAPA failed: '" + status + "'");
        }
        // The capability list ends with a line of a single dot.
        String capability;
        do {
            capability = c.readLine("CAPA response");
        } while (!capability.equals("."));
        c.send("QUIT");
        String quit = c.readLine("QUIT response");
        if (!quit.startsWith("+OK")) {
            throw c.failure("QUIT failed: '" + quit + "'");
        }
    }

    private static void sieve(ProbeConnection c) throws ProbeFailedException {
        // The greeting is the capability list: quoted lines, then OK (or NO/BYE when the server refuses).
        while (true) {
            String line = c.readLine("greeting");
            if (startsWithIgnoreCase(line, "OK")) {
                break;
            }
            if (startsWithIgnoreCase(line, "NO") || startsWithIgnoreCase(line, "BYE")) {
                throw c.failure("server rejected the session: '" + line + "'");
            }
        }
        c.send("LOGOUT");
        String logout = c.readLine("LOGOUT response");
        if (!startsWithIgnoreCase(logout, "OK")) {
            throw c.failure("LOGOUT failed: '" + logout + "'");
        }
    }

    private static void smtp(ProbeConnection c, String hello) throws ProbeFailedException {
        smtpReply(c, "greeting", "220");
        c.send(hello + " " + HELO_NAME);
        smtpReply(c, hello + " response", "250");
        c.send("QUIT");
        smtpReply(c, "QUIT response", "221");
    }

    // Reads a reply of one or more lines ("250-..." continues, "250 ..." ends) and checks its code.
    private static void smtpReply(ProbeConnection c, String step, String expectedCode) throws ProbeFailedException {
        while (true) {
            String line = c.readLine(step);
            if (!line.startsWith(expectedCode)) {
                throw c.failure("unexpected " + step + " '" + line + "', expected " + expectedCode);
            }
            if (line.length() == 3 || line.charAt(3) != '-') {
                return;
            }
        }
    }

    // True when the line starts with the word, case-insensitively, followed by a space or nothing.
    private static boolean startsWithIgnoreCase(String line, String word) {
        return line.regionMatches(true, 0, word, 0, word.length())
                && (line.length() == word.length() || line.charAt(word.length()) == ' ');
    }
}
