package org.mailpin.gateway.mail.submission;

import java.nio.charset.StandardCharsets;

/** The xtext encoding of SMTP parameter values (RFC 3461), which XCLIENT uses. */
final class Xtext {

    private Xtext() {
    }

    /** Encodes every byte outside {@code !} to {@code ~}, and {@code +} and {@code =}, as {@code +HH}. */
    static String encode(String value) {
        StringBuilder out = new StringBuilder();
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c >= '!' && c <= '~' && c != '+' && c != '=') {
                out.append((char) c);
            } else {
                out.append('+').append(String.format("%02X", c));
            }
        }
        return out.toString();
    }
}
