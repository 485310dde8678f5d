package org.mailpin.gateway.mail.imap;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The field-value pairs of a client's ID command (RFC 2971), kept for the backend login.
 *
 * <p>A pair is kept only when it is safe and useful to pass on: its key does not start with
 * {@code x-}, because Dovecot's imap-login (2.3, {@code imap-login-cmd-id.c}) takes
 * {@code x-originating-ip}, {@code x-session-id}, {@code x-forward-*} and others from a trusted
 * proxy as facts about the client, and a client must not set those. Key and value must be
 * printable ASCII, so they are re-encoded as quoted strings and never copied as the client sent
 * them. The kept text is at most {@link #MAX_FORWARDED_LENGTH} bytes, the limit of Dovecot's own
 * proxy ({@code LOGIN_MAX_CLIENT_ID_LEN}); pairs beyond it are dropped.
 */
final class ImapClientId {

    static final int MAX_FORWARDED_LENGTH = 256;
    // Dovecot's imap-login accepts at most 30 ID parameters of at most 1024 bytes each
    // (imap-login-client.c); longer keys than 30 bytes are not passed on.
    static final int MAX_PAIRS = 30;
    static final int MAX_KEY_LENGTH = 30;
    static final int MAX_VALUE_LENGTH = 1024;

    static final ImapClientId NONE = new ImapClientId("");

    private final String forwarded;

    private ImapClientId(String forwarded) {
        this.forwarded = forwarded;
    }

    /**
     * Parses the arguments of an ID command: {@code NIL} or a list of string keys and nstring values.
     *
     * @throws IllegalArgumentException when the arguments are not that; the message is for the client
     */
    static ImapClientId parse(List<ImapArg> args) {
        if (args.size() != 1) {
            throw new IllegalArgumentException("ID expects NIL or one list of field-value pairs.");
        }
        ImapArg arg = args.get(0);
        if (arg instanceof ImapArg.Atom atom && atom.isNil()) {
            return NONE;
        }
        if (!(arg instanceof ImapArg.ParenList list) || list.items().size() % 2 != 0
                || list.items().size() > 2 * MAX_PAIRS) {
            throw new IllegalArgumentException("ID expects NIL or a list of at most " + MAX_PAIRS
                    + " field-value pairs.");
        }

        List<String> forwardedPairs = new ArrayList<>();
        int length = 0;
        for (int i = 0; i < list.items().size(); i += 2) {
            byte[] key = key(list.items().get(i));
            byte[] value = value(list.items().get(i + 1));
            if (!forwardable(key, value)) {
                continue;
            }
            String pair = quote(key) + " " + (value == null ? "NIL" : quote(value));
            int added = pair.length() + (forwardedPairs.isEmpty() ? 0 : 1);
            if (length + added > MAX_FORWARDED_LENGTH) {
                break;
            }
            forwardedPairs.add(pair);
            length += added;
        }
        return new ImapClientId(String.join(" ", forwardedPairs));
    }

    /** Returns the kept pairs as IMAP text for the backend's ID list, e.g. {@code "name" "Outlook"}, or "". */
    String forwarded() {
        return forwarded;
    }

    private static byte[] key(ImapArg arg) {
        if (arg instanceof ImapArg.Atom atom && !atom.isNil()) {
            return atom.bytes();
        }
        if (ImapArg.isString(arg)) {
            return ImapArg.astring(arg);
        }
        throw new IllegalArgumentException("ID field names must be strings.");
    }

    private static byte[] value(ImapArg arg) {
        if (arg instanceof ImapArg.Atom atom && atom.isNil()) {
            return null;
        }
        if (ImapArg.isString(arg)) {
            return ImapArg.astring(arg);
        }
        throw new IllegalArgumentException("ID values must be strings or NIL.");
    }

    private static boolean forwardable(byte[] key, byte[] value) {
        if (key.length == 0 || key.length > MAX_KEY_LENGTH || !ImapStrings.isQuotable(key)) {
            return false;
        }
        if (new String(key, StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT).startsWith("x-")) {
            return false;
        }
        return value == null || (value.length <= MAX_VALUE_LENGTH && ImapStrings.isQuotable(value));
    }

    private static String quote(byte[] printable) {
        return ImapStrings.quote(new String(printable, StandardCharsets.US_ASCII));
    }
}
