package org.mailpin.gateway.mail.imap;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Encodes values as IMAP strings for lines the proxy writes itself. */
final class ImapStrings {

    private ImapStrings() {
    }

    /**
     * Returns the text as an IMAP quoted string, with {@code "} and {@code \} escaped.
     *
     * @throws IllegalArgumentException if the text contains CR, LF or NUL, which no quoted string can carry
     */
    static String quote(String text) {
        StringBuilder out = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\r' || c == '\n' || c == 0) {
                throw new IllegalArgumentException("CR, LF and NUL cannot be quoted");
            }
            if (c == '"' || c == '\\') {
                out.append('\\');
            }
            out.append(c);
        }
        return out.append('"').toString();
    }

    /** True if every byte is printable ASCII (0x20 to 0x7e), so the value fits a quoted string. */
    static boolean isQuotable(byte[] value) {
        for (byte b : value) {
            if (b < 0x20 || b > 0x7e) {
                return false;
            }
        }
        return true;
    }

    /** True if the value contains CR, LF or NUL, which a username or password must not. */
    static boolean hasLineBreakOrNul(byte[] value) {
        for (byte b : value) {
            if (b == '\r' || b == '\n' || b == 0) {
                return true;
            }
        }
        return false;
    }

    /** Returns the US-ASCII bytes of the text. */
    static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    /** Concatenates byte arrays. */
    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
