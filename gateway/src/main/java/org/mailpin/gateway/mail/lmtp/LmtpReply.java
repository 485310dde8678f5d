package org.mailpin.gateway.mail.lmtp;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import org.mailpin.gateway.mail.LineReader;

/**
 * One SMTP/LMTP reply: a three-digit code and one or more lines of text (RFC 5321 section 4.2).
 * The proxy builds its own replies with this type and reads the backends' replies into it.
 *
 * @param code   the reply code, 200 to 599
 * @param lines  the text of each line without the code and separator; at least one, possibly empty
 */
record LmtpReply(int code, List<String> lines) {

    /** Maximum length of a backend reply line, in bytes; Dovecot 2.3's LMTP proxy limits a reply to 4096. */
    static final int MAX_LINE = 4096;

    /** Maximum lines in one backend reply; Dovecot's LHLO reply has about ten. */
    static final int MAX_LINES = 100;

    private static final Pattern ENHANCED_CODE = Pattern.compile("[245]\\.\\d{1,3}\\.\\d{1,3}( .*)?");
    private static final int MAX_LOG_TEXT = 200;

    LmtpReply {
        if (code < 200 || code > 599) {
            throw new IllegalArgumentException("invalid reply code " + code + ": expected 200 to 599");
        }
        lines = List.copyOf(lines);
        if (lines.isEmpty()) {
            throw new IllegalArgumentException("a reply needs at least one line");
        }
    }

    /** Creates a one-line reply with an enhanced status code (RFC 3463), e.g. {@code 250 2.1.0 OK}. */
    static LmtpReply of(int code, String enhancedCode, String text) {
        return new LmtpReply(code, List.of(enhancedCode + " " + text));
    }

    /**
     * Reads one reply, following continuation lines ({@code 250-...}) to the last line.
     *
     * @throws BadReplyException when a line is not a reply line, the code changes between lines,
     *                           or the reply has more than {@link #MAX_LINES} lines
     * @throws java.io.EOFException when the connection closes before the reply is complete
     */
    static LmtpReply read(LineReader reader) throws IOException {
        List<String> texts = new ArrayList<>();
        int code = 0;
        while (true) {
            String line = reader.readLineText(MAX_LINE);
            if (line == null) {
                throw new java.io.EOFException("connection closed before a reply");
            }
            int lineCode = parseCode(line);
            if (code != 0 && lineCode != code) {
                throw new BadReplyException("reply code changed from " + code + " to " + lineCode
                        + " inside a multi-line reply");
            }
            code = lineCode;
            texts.add(line.length() > 4 ? line.substring(4) : "");
            if (line.length() == 3 || line.charAt(3) == ' ') {
                return new LmtpReply(code, texts);
            }
            if (texts.size() == MAX_LINES) {
                throw new BadReplyException("reply longer than " + MAX_LINES + " lines");
            }
        }
    }

    private static int parseCode(String line) throws BadReplyException {
        boolean shaped = line.length() >= 3
                && line.charAt(0) >= '2' && line.charAt(0) <= '5'
                && Character.isDigit(line.charAt(1)) && Character.isDigit(line.charAt(2))
                && (line.length() == 3 || line.charAt(3) == ' ' || line.charAt(3) == '-');
        if (!shaped) {
            throw new BadReplyException("invalid reply line '" + truncate(line) + "'");
        }
        return Integer.parseInt(line, 0, 3, 10);
    }

    boolean isPositive() {
        return code / 100 == 2;
    }

    /**
     * Returns this reply with an enhanced status code on every line: a backend reply that has none
     * gets {@code X.0.0} from its class, as Dovecot's LMTP proxy does, because a server that
     * advertises ENHANCEDSTATUSCODES must send one on every reply after the greeting (RFC 2034).
     */
    LmtpReply withEnhancedCode() {
        if (ENHANCED_CODE.matcher(lines.get(0)).matches()) {
            return this;
        }
        String fallback = (code / 100) + ".0.0";
        return new LmtpReply(code, lines.stream().map(line -> line.isEmpty() ? fallback : fallback + " " + line).toList());
    }

    /** Returns the reply as it goes on the wire, each line ended by CRLF. */
    String wire() {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            out.append(code).append(i == lines.size() - 1 ? ' ' : '-').append(lines.get(i)).append("\r\n");
        }
        return out.toString();
    }

    /** Returns the code and first line, with control characters replaced and long text cut, for logs. */
    String summary() {
        return truncate(code + " " + lines.get(0));
    }

    /** Returns the capability lines of an LHLO reply: every line after the first, which names the server. */
    List<String> capabilities() {
        return lines.subList(1, lines.size());
    }

    private static String truncate(String text) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < text.length() && i < MAX_LOG_TEXT; i++) {
            char c = text.charAt(i);
            out.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        if (text.length() > MAX_LOG_TEXT) {
            out.append("...");
        }
        return out.toString();
    }

    /** A backend sent something that is not a valid reply; the proxy treats the backend as failed. */
    static final class BadReplyException extends IOException {

        BadReplyException(String message) {
            super(message);
        }
    }
}
