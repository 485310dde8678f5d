package org.mailpin.gateway.mail.sieve;

import java.nio.charset.StandardCharsets;

/** Writes ManageSieve strings (RFC 5804). */
final class SieveStrings {

    /** The RFC 5804 grammar limits a quoted string to 1024 octets; longer text goes as a literal. */
    static final int MAX_QUOTED = 1024;

    private SieveStrings() {
    }

    /**
     * Returns the text as a quoted string, or as a literal ({@code {n}} CRLF and the bytes) when it
     * contains CR, LF or NUL, or is too long to quote.
     */
    static String quote(String text) {
        int bytes = text.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_QUOTED || text.indexOf('\r') >= 0 || text.indexOf('\n') >= 0 || text.indexOf('\0') >= 0) {
            return "{" + bytes + "}\r\n" + text;
        }
        return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    /** Returns the text as a client-to-server string: quoted, or a non-synchronizing literal {@code {n+}}. */
    static String quoteForServer(String text) {
        String quoted = quote(text);
        return quoted.startsWith("{") ? quoted.replaceFirst("}", "+}") : quoted;
    }
}
