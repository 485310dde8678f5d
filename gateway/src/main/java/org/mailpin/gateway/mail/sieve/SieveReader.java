package org.mailpin.gateway.mail.sieve;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.mailpin.gateway.mail.LineReader;
import org.mailpin.gateway.mail.LineTooLongException;

/**
 * Reads ManageSieve commands and responses (RFC 5804): atoms, quoted strings and
 * literals, where a literal ({@code {n+}} or {@code {n}} at the end of a line) is followed by n
 * bytes and then the rest of the command on the next line. The whole command, lines and literals
 * together, is bounded, and the raw bytes are kept so a backend's response can be relayed as it was.
 *
 * <p>ManageSieve has no continuation request for literals, so {@code {n}} and {@code {n+}} are
 * read alike. A syntax error is reported only after the whole command, literals included, has
 * been read, so the bytes of a literal are never taken for a command.
 */
final class SieveReader {

    // Ten digits at most: a longer count is above any limit and would not fit a long anyway.
    private static final Pattern LITERAL_AT_END = Pattern.compile("\\{(\\d{1,10})(\\+?)}$");

    /** One word of a command: an atom, or a string from quotes or a literal. */
    record Word(String text, boolean string) {

        boolean isAtom(String name) {
            return !string && text.equalsIgnoreCase(name);
        }
    }

    /** A command or response: its words and the bytes it was read from, CRLFs included. */
    record Line(List<Word> words, byte[] raw) {

        Line {
            words = List.copyOf(words);
        }
    }

    private final LineReader in;

    SieveReader(LineReader in) {
        this.in = in;
    }

    /**
     * Reads one command or response.
     *
     * @param maxBytes upper bound on the lines and literals together
     * @return the line, or null at end of stream before any byte
     * @throws LineTooLongException  when the command exceeds {@code maxBytes}; the connection must close
     * @throws SieveSyntaxException  on bad quoting; the whole command has been read, so the next read is in step
     */
    Line read(int maxBytes) throws IOException {
        List<Object> parts = new ArrayList<>();
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        while (true) {
            byte[] line = in.readLine(maxBytes - raw.size());
            if (line == null) {
                if (raw.size() == 0) {
                    return null;
                }
                throw new EOFException("connection closed inside a ManageSieve command");
            }
            raw.write(line);
            raw.write('\r');
            raw.write('\n');
            String text = new String(line, StandardCharsets.UTF_8);
            Matcher literal = LITERAL_AT_END.matcher(text);
            if (!literal.find()) {
                parts.add(text);
                break;
            }
            long size = Long.parseLong(literal.group(1));
            if (size > maxBytes - raw.size()) {
                throw new LineTooLongException(maxBytes);
            }
            parts.add(text.substring(0, literal.start()));
            byte[] data = in.readExactly((int) size);
            raw.write(data);
            parts.add(data);
        }
        return new Line(words(parts), raw.toByteArray());
    }

    private static List<Word> words(List<Object> parts) throws SieveSyntaxException {
        List<Word> words = new ArrayList<>();
        for (Object part : parts) {
            if (part instanceof byte[] literal) {
                words.add(new Word(new String(literal, StandardCharsets.UTF_8), true));
            } else {
                tokenize((String) part, words);
            }
        }
        return words;
    }

    private static void tokenize(String text, List<Word> words) throws SieveSyntaxException {
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == ' ') {
                i++;
            } else if (c == '"') {
                i = quoted(text, i, words);
            } else {
                int end = text.indexOf(' ', i);
                end = end < 0 ? text.length() : end;
                String atom = text.substring(i, end);
                if (atom.indexOf('"') >= 0 || atom.indexOf('\0') >= 0) {
                    throw new SieveSyntaxException("invalid characters in atom");
                }
                words.add(new Word(atom, false));
                i = end;
            }
        }
    }

    // Reads the quoted string that starts at text[start]; returns the index after its closing quote.
    private static int quoted(String text, int start, List<Word> words) throws SieveSyntaxException {
        StringBuilder value = new StringBuilder();
        for (int i = start + 1; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"') {
                words.add(new Word(value.toString(), true));
                return i + 1;
            }
            if (c == '\0') {
                throw new SieveSyntaxException("NUL is not allowed in a quoted string");
            }
            if (c == '\\') {
                // RFC 5804 QUOTED-SPECIALS: only a quote or a backslash may follow a backslash.
                if (i + 1 >= text.length() || (text.charAt(i + 1) != '"' && text.charAt(i + 1) != '\\')) {
                    throw new SieveSyntaxException("invalid escape in a quoted string");
                }
                c = text.charAt(++i);
            }
            value.append(c);
        }
        throw new SieveSyntaxException("missing closing quote");
    }
}
