package org.mailpin.gateway.mail.imap;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import org.mailpin.gateway.mail.LineReader;
import org.mailpin.gateway.mail.LineTooLongException;

/**
 * Reads one client command before login: tag, command name and arguments (the formal syntax of
 * RFC 3501), with the literals between its lines.
 *
 * <p>Reading happens in two steps. Framing reads CRLF lines and, after a line that ends with a
 * literal marker ({@code {n}} or the non-synchronizing {@code {n+}} of RFC 7888), the literal's
 * bytes and the next line. Only then is the command parsed. A marker counts only outside a quoted
 * string, so {@code "{5}"} is text. Before a synchronizing literal the reader sends the
 * continuation request. It does not when the first line has no valid tag or the literal is too
 * large, and then the client does not send the literal.
 *
 * <p>The whole command, lines and literals together without their CRLFs, may be at most
 * {@code maxBytes} long, so a client cannot make the proxy buffer without end before login.
 */
final class ImapCommandReader {

    // No pre-login command nests lists; ID uses one level.
    static final int MAX_LIST_DEPTH = 8;

    /** Sends the continuation request ({@code + OK}) that a synchronizing literal waits for. */
    @FunctionalInterface
    interface ContinuationSender {
        void send() throws IOException;
    }

    private final LineReader reader;
    private final int maxBytes;
    private final ContinuationSender continuation;

    ImapCommandReader(LineReader reader, int maxBytes, ContinuationSender continuation) {
        this.reader = reader;
        this.maxBytes = maxBytes;
        this.continuation = continuation;
    }

    /**
     * Reads the next command.
     *
     * @return the command, or null when the client closed the connection between commands
     * @throws ImapSyntaxException for an invalid command, which was read completely, or for a
     *                             synchronizing literal above the limit, which the client will not send
     * @throws LineTooLongException when the command exceeds {@code maxBytes}, including by a
     *                              non-synchronizing literal whose bytes are already on the way
     * @throws org.mailpin.gateway.mail.MalformedLineException on a bare CR or LF
     */
    ImapCommand read() throws IOException, ImapSyntaxException {
        byte[] first = reader.readLine(maxBytes);
        if (first == null) {
            return null;
        }
        List<byte[]> lines = new ArrayList<>(List.of(first));
        List<byte[]> literals = new ArrayList<>();
        long remaining = maxBytes - first.length;

        byte[] line = first;
        LiteralMarker marker;
        while ((marker = LiteralMarker.atEndOf(line)) != null) {
            String tag = leadingTag(first);
            if (marker.synchronizing()) {
                if (tag == null) {
                    throw new ImapSyntaxException(null, "Invalid tag.");
                }
                if (marker.size() > remaining) {
                    throw new ImapSyntaxException(tag, "Literal of " + marker.size() + " bytes is above the limit of "
                            + maxBytes + " bytes per command.");
                }
                continuation.send();
            } else if (marker.size() > remaining) {
                throw new LineTooLongException(maxBytes);
            }
            literals.add(reader.readExactly((int) marker.size()));
            remaining -= marker.size();

            line = reader.readLine((int) remaining);
            if (line == null) {
                throw new EOFException("connection closed inside a command, after a literal");
            }
            remaining -= line.length;
            lines.add(line);
        }
        return new Parser(lines, literals).command();
    }

    /** Returns the tag at the start of the line if it is valid and followed by a space, else null. */
    static String leadingTag(byte[] line) {
        int length = tagLength(line);
        return length < 0 ? null : new String(line, 0, length, StandardCharsets.UTF_8);
    }

    // Returns the byte length of a valid tag that is followed by a space, or -1.
    private static int tagLength(byte[] line) {
        int i = 0;
        while (i < line.length && isTagChar(line[i] & 0xff)) {
            i++;
        }
        return i == 0 || i == line.length || line[i] != ' ' ? -1 : i;
    }

    // ATOM-CHAR of RFC 3501 plus ']' (an ASTRING-CHAR). Bytes above 0x7f are accepted, as
    // Dovecot's parser accepts them, so UTF-8 user names work without quotes.
    static boolean isAtomChar(int b) {
        return b > 0x20 && b != 0x7f && "(){\"\\".indexOf(b) < 0;
    }

    // tag = 1*<any ASTRING-CHAR except "+">; list wildcards are not ATOM-CHARs either.
    static boolean isTagChar(int b) {
        return isAtomChar(b) && b != '+' && b != '*' && b != '%';
    }

    /** A literal announcement at the end of a line. */
    record LiteralMarker(long size, boolean synchronizing) {

        /** Returns the marker that ends the line outside any quoted string, or null. */
        static LiteralMarker atEndOf(byte[] line) {
            if (line.length < 3 || line[line.length - 1] != '}') {
                return null;
            }
            boolean quoted = false;
            for (int i = 0; i < line.length; i++) {
                if (quoted && line[i] == '\\') {
                    i++;
                } else if (line[i] == '"') {
                    quoted = !quoted;
                }
            }
            if (quoted) {
                return null;
            }
            int open = line.length - 2;
            while (open >= 0 && line[open] != '{') {
                open--;
            }
            return open < 0 ? null : parse(line, open);
        }

        /** Parses a marker that starts at {@code open} and must end the line; returns null if invalid. */
        static LiteralMarker parse(byte[] line, int open) {
            int i = open + 1;
            int digitsStart = i;
            while (i < line.length && line[i] >= '0' && line[i] <= '9') {
                i++;
            }
            int digits = i - digitsStart;
            if (digits == 0) {
                return null;
            }
            boolean synchronizing = true;
            if (i < line.length && line[i] == '+') {
                synchronizing = false;
                i++;
            }
            if (i != line.length - 1 || line[i] != '}') {
                return null;
            }
            // More than 18 digits cannot fit a long; any such size is far above every limit.
            long size = digits > 18 ? Long.MAX_VALUE
                    : Long.parseLong(new String(line, digitsStart, digits, StandardCharsets.US_ASCII));
            return new LiteralMarker(size, synchronizing);
        }
    }

    /** Parses the framed lines and literals of one command. */
    private static final class Parser {

        private final List<byte[]> lines;
        private final List<byte[]> literals;
        private int index;
        private int pos;
        private String tag;

        Parser(List<byte[]> lines, List<byte[]> literals) {
            this.lines = lines;
            this.literals = literals;
        }

        ImapCommand command() throws ImapSyntaxException {
            byte[] first = lines.get(0);
            tag = leadingTag(first);
            if (tag == null) {
                if (first.length == 0) {
                    throw new ImapSyntaxException(null, "Empty command line.");
                }
                if (lines.size() == 1 && allTagChars(first)) {
                    throw new ImapSyntaxException(new String(first, StandardCharsets.UTF_8), "Missing command name.");
                }
                throw new ImapSyntaxException(null, "Invalid tag.");
            }
            pos = tagLength(lines.get(0));
            skipSpaces();
            byte[] name = readAtom();
            if (name.length == 0) {
                throw error("Missing or invalid command name.");
            }
            String command = new String(name, StandardCharsets.UTF_8).toUpperCase(Locale.ROOT);

            List<ImapArg> args = new ArrayList<>();
            while (!atEnd()) {
                if (peek() != ' ') {
                    throw error("Expected a space between arguments.");
                }
                skipSpaces();
                if (atEnd()) {
                    break;
                }
                args.add(readArg(0));
            }
            return new ImapCommand(tag, command, args);
        }

        private static boolean allTagChars(byte[] line) {
            for (byte b : line) {
                if (!isTagChar(b & 0xff)) {
                    return false;
                }
            }
            return true;
        }

        private ImapArg readArg(int depth) throws ImapSyntaxException {
            int c = peek();
            return switch (c) {
                case '(' -> readList(depth);
                case '"' -> readQuoted();
                case '{' -> readLiteral();
                case -1 -> throw error("Missing argument.");
                case ')' -> throw error("Unexpected ')'.");
                default -> {
                    byte[] atom = readAtom();
                    if (atom.length == 0) {
                        throw error("Invalid character in an argument.");
                    }
                    yield new ImapArg.Atom(atom);
                }
            };
        }

        private ImapArg readList(int depth) throws ImapSyntaxException {
            if (depth >= MAX_LIST_DEPTH) {
                throw error("Lists nested deeper than " + MAX_LIST_DEPTH + " levels.");
            }
            pos++;
            List<ImapArg> items = new ArrayList<>();
            skipSpaces();
            while (peek() != ')') {
                if (peek() == -1) {
                    throw error("Missing ')' at the end of a list.");
                }
                items.add(readArg(depth + 1));
                if (peek() == ' ') {
                    skipSpaces();
                } else if (peek() != ')' && peek() != -1) {
                    throw error("Expected a space or ')' after a list item.");
                }
            }
            pos++;
            return new ImapArg.ParenList(items);
        }

        private ImapArg readQuoted() throws ImapSyntaxException {
            pos++;
            ByteArrayOutputStream value = new ByteArrayOutputStream();
            while (true) {
                int c = next();
                if (c == -1) {
                    throw error("Unterminated quoted string.");
                }
                if (c == '"') {
                    return new ImapArg.Quoted(value.toByteArray());
                }
                if (c == '\\') {
                    c = next();
                    if (c != '"' && c != '\\') {
                        throw error("Invalid escape in a quoted string; only \\\" and \\\\ are allowed.");
                    }
                } else if (c == 0) {
                    throw error("NUL in a quoted string.");
                }
                value.write(c);
            }
        }

        // The framing step stored the literal of line i as literals[i], for a marker that ends line i.
        private ImapArg readLiteral() throws ImapSyntaxException {
            byte[] line = lines.get(index);
            if (index >= literals.size() || LiteralMarker.parse(line, pos) == null) {
                throw error("Invalid literal; a literal {n} or {n+} must end its line.");
            }
            byte[] value = literals.get(index);
            index++;
            pos = 0;
            return new ImapArg.Literal(value);
        }

        private byte[] readAtom() {
            byte[] line = lines.get(index);
            int start = pos;
            while (pos < line.length && isAtomChar(line[pos] & 0xff)) {
                pos++;
            }
            return Arrays.copyOfRange(line, start, pos);
        }

        private void skipSpaces() {
            while (peek() == ' ') {
                pos++;
            }
        }

        private int peek() {
            byte[] line = lines.get(index);
            return pos < line.length ? line[pos] & 0xff : -1;
        }

        private int next() {
            int c = peek();
            if (c != -1) {
                pos++;
            }
            return c;
        }

        private boolean atEnd() {
            return index == lines.size() - 1 && pos == lines.get(index).length;
        }

        private ImapSyntaxException error(String message) {
            return new ImapSyntaxException(tag, message);
        }
    }
}
