package org.mailpin.gateway.mail.submission;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ProtocolException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.mailpin.gateway.mail.LineReader;

/**
 * An SMTP reply from a backend (RFC 5321): one or more lines with the same three-digit
 * code, {@code -} after the code on every line but the last.
 *
 * @param code  the reply code, e.g. 235
 * @param texts the text of each line after the code and separator
 * @param raw   the bytes as received, CRLFs included, for relaying
 */
record SmtpReply(int code, List<String> texts, byte[] raw) {

    /** Maximum number of lines in one reply; Dovecot's EHLO reply has about ten. */
    static final int MAX_LINES = 100;
    /** Maximum length of a reply line, in bytes; RFC 5321 only requires 512. */
    static final int MAX_LINE = 4096;

    SmtpReply {
        texts = List.copyOf(texts);
    }

    /**
     * Reads one reply.
     *
     * @throws ProtocolException when a line has no valid code, codes differ, the reply has more than
     *                           {@link #MAX_LINES} lines, or the connection closes
     */
    static SmtpReply read(LineReader in) throws IOException {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        List<String> texts = new ArrayList<>();
        int code = -1;
        for (int i = 0; i < MAX_LINES; i++) {
            String line = in.readLineText(MAX_LINE);
            if (line == null) {
                throw new ProtocolException("connection closed");
            }
            raw.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
            int lineCode = parseCode(line);
            if (code >= 0 && lineCode != code) {
                throw new ProtocolException("reply code changed within a reply: " + line);
            }
            code = lineCode;
            texts.add(line.length() > 4 ? line.substring(4) : "");
            if (line.length() == 3 || line.charAt(3) == ' ') {
                return new SmtpReply(code, texts, raw.toByteArray());
            }
        }
        throw new ProtocolException("reply has more than " + MAX_LINES + " lines");
    }

    boolean positive() {
        return code >= 200 && code < 300;
    }

    /** Returns the reply as one line of text for logs and exception messages. */
    String text() {
        return code + " " + String.join(" / ", texts);
    }

    private static int parseCode(String line) throws ProtocolException {
        boolean valid = line.length() >= 3
                && Character.isDigit(line.charAt(0)) && Character.isDigit(line.charAt(1))
                && Character.isDigit(line.charAt(2))
                && (line.length() == 3 || line.charAt(3) == ' ' || line.charAt(3) == '-');
        if (!valid) {
            throw new ProtocolException("invalid reply line: " + line);
        }
        return Integer.parseInt(line.substring(0, 3));
    }
}
