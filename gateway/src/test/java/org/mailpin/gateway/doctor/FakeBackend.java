package org.mailpin.gateway.doctor;

import java.util.Locale;

import org.mailpin.gateway.mail.ScriptedBackend;

/**
 * Conversations for {@link ScriptedBackend} that reply like Dovecot 2.3.19 does, with the login
 * reply and the INBOX chosen by the test.
 */
public final class FakeBackend {

    public static final String IMAP_GREETING = "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE "
            + "LITERAL+ AUTH=PLAIN AUTH=LOGIN] Dovecot (Debian) ready.";
    public static final String IMAP_REJECTED = "NO [AUTHENTICATIONFAILED] Authentication failed.";
    public static final String POP3_REJECTED = "-ERR [AUTH] Authentication failed.";
    public static final String SIEVE_REJECTED = "NO \"Authentication failed.\"";

    private FakeBackend() {
    }

    /** An INBOX as EXAMINE reports it, and the quota, or null for a backend without the QUOTA capability. */
    public record Inbox(long uidValidity, int messages, String quota) {
    }

    /**
     * IMAP that replies to LOGIN with {@code loginReply} (without tag), then EXAMINE, GETQUOTAROOT,
     * CAPABILITY and LOGOUT.
     */
    public static ScriptedBackend.Conversation imap(String loginReply, Inbox inbox) {
        return peer -> {
            peer.send(IMAP_GREETING);
            String line;
            while ((line = peer.readLine()) != null) {
                String[] words = line.split(" ", 3);
                String tag = words[0];
                String command = words.length > 1 ? words[1].toUpperCase(Locale.ROOT) : "";
                switch (command) {
                    case "LOGIN" -> peer.send(tag + " " + loginReply);
                    case "CAPABILITY" -> peer.send("* CAPABILITY " + capabilities(inbox), tag + " OK Capability completed.");
                    case "EXAMINE" -> peer.send("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
                            "* OK [PERMANENTFLAGS ()] Read-only mailbox.",
                            "* " + inbox.messages() + " EXISTS",
                            "* 0 RECENT",
                            "* OK [UIDVALIDITY " + inbox.uidValidity() + "] UIDs valid",
                            "* OK [UIDNEXT " + (inbox.messages() + 1) + "] Predicted next UID",
                            tag + " OK [READ-ONLY] Examine completed (0.001 + 0.000 secs).");
                    case "GETQUOTAROOT" -> peer.send("* QUOTAROOT INBOX \"User quota\"",
                            "* QUOTA \"User quota\" (" + inbox.quota() + ")",
                            tag + " OK Getquotaroot completed.");
                    case "LOGOUT" -> {
                        peer.send("* BYE Logging out", tag + " OK Logout completed.");
                        return;
                    }
                    default -> peer.send(tag + " BAD Error in IMAP command " + command + ": Unknown command.");
                }
            }
        };
    }

    /** Returns the tagged OK of a Dovecot login, with the capabilities that follow a login. */
    public static String imapAccepted(Inbox inbox) {
        return "OK [CAPABILITY " + capabilities(inbox) + "] Logged in";
    }

    private static String capabilities(Inbox inbox) {
        return "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT LITERAL+" + (inbox.quota() == null ? "" : " QUOTA");
    }

    /** POP3 that replies to PASS with {@code passReply}. */
    public static ScriptedBackend.Conversation pop3(String passReply) {
        return peer -> {
            peer.send("+OK Dovecot (Debian) ready.");
            String line;
            while ((line = peer.readLine()) != null) {
                String command = line.split(" ", 2)[0].toUpperCase(Locale.ROOT);
                switch (command) {
                    case "USER" -> peer.send("+OK");
                    case "PASS" -> peer.send(passReply);
                    case "QUIT" -> {
                        peer.send("+OK Logging out.");
                        return;
                    }
                    default -> peer.send("-ERR Unknown command: " + command);
                }
            }
        };
    }

    /** ManageSieve with the given SASL mechanisms that replies to AUTHENTICATE with {@code authReply}. */
    public static ScriptedBackend.Conversation sieve(String mechanisms, String authReply) {
        return peer -> {
            peer.send("\"IMPLEMENTATION\" \"Dovecot Pigeonhole\"", "\"SIEVE\" \"fileinto reject envelope\"",
                    "\"NOTIFY\" \"mailto\"", "\"SASL\" \"" + mechanisms + "\"", "\"VERSION\" \"1.0\"",
                    "OK \"Dovecot (Debian) ready.\"");
            String line;
            while ((line = peer.readLine()) != null) {
                if (line.startsWith("AUTHENTICATE")) {
                    peer.send(authReply);
                } else if (line.equals("LOGOUT")) {
                    peer.send("OK \"Logout completed.\"");
                    return;
                } else {
                    peer.send("NO \"Unknown command.\"");
                }
            }
        };
    }

    /** Accepts connections and never sends a byte, like a backend whose processes hang. */
    public static ScriptedBackend.Conversation silent() {
        return peer -> {
            while (peer.readLine() != null) {
                // Reads until the client gives up and closes.
            }
        };
    }
}
