package org.mailpin.gateway.mail.sieve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mailpin.gateway.mail.LineReader;
import org.mailpin.gateway.mail.LineTooLongException;
import org.mailpin.gateway.mail.sieve.SieveReader.Word;

class SieveReaderTest {

    private static final int LIMIT = 1024;

    private static SieveReader reader(String input) {
        return new SieveReader(new LineReader(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8))));
    }

    private static Word atom(String text) {
        return new Word(text, false);
    }

    private static Word string(String text) {
        return new Word(text, true);
    }

    /** Input that parses, and the words expected. */
    record Parsed(String name, String input, List<Word> words) {

        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Parsed> parsed() {
        return Stream.of(
                new Parsed("quoted strings", "AUTHENTICATE \"PLAIN\" \"AGEAYg==\"\r\n",
                        List.of(atom("AUTHENTICATE"), string("PLAIN"), string("AGEAYg=="))),
                new Parsed("non-synchronizing literal", "AUTHENTICATE \"PLAIN\" {8+}\r\nAGEAYg==\r\n",
                        List.of(atom("AUTHENTICATE"), string("PLAIN"), string("AGEAYg=="))),
                new Parsed("synchronizing literal", "AUTHENTICATE \"PLAIN\" {8}\r\nAGEAYg==\r\n",
                        List.of(atom("AUTHENTICATE"), string("PLAIN"), string("AGEAYg=="))),
                new Parsed("literal with CRLF inside", "NOOP {4+}\r\na\r\nb\r\n", List.of(atom("NOOP"), string("a\r\nb"))),
                new Parsed("two literals", "PUTSCRIPT {1+}\r\na {2+}\r\nbc\r\n",
                        List.of(atom("PUTSCRIPT"), string("a"), string("bc"))),
                new Parsed("escaped quote and backslash", "NOOP \"a\\\"b\\\\c\"\r\n", List.of(atom("NOOP"), string("a\"b\\c"))),
                new Parsed("empty string", "NOOP \"\"\r\n", List.of(atom("NOOP"), string(""))),
                new Parsed("UTF-8 string", "NOOP \"gr\u00fc\u00dfe\"\r\n", List.of(atom("NOOP"), string("gr\u00fc\u00dfe"))),
                new Parsed("response with code", "NO (TRYLATER) \"Busy.\"\r\n",
                        List.of(atom("NO"), atom("(TRYLATER)"), string("Busy."))),
                new Parsed("empty line", "\r\n", List.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("parsed")
    void readsWords(Parsed parsed) throws IOException {
        assertEquals(parsed.words(), reader(parsed.input()).read(LIMIT).words());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("parsed")
    void keepsRawBytes(Parsed parsed) throws IOException {
        assertArrayEquals(parsed.input().getBytes(StandardCharsets.UTF_8), reader(parsed.input()).read(LIMIT).raw());
    }

    /** Input with bad syntax, and the message expected. */
    record Malformed(String name, String input, String message) {

        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Malformed> malformed() {
        return Stream.of(
                new Malformed("missing closing quote", "NOOP \"abc\r\n", "missing closing quote"),
                new Malformed("invalid escape", "NOOP \"a\\b\"\r\n", "invalid escape in a quoted string"),
                new Malformed("backslash at the end", "NOOP \"a\\\r\n", "invalid escape in a quoted string"),
                new Malformed("quote inside an atom", "NO\"OP\r\n", "invalid characters in atom"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void rejectsSyntax(Malformed malformed) {
        SieveSyntaxException e = assertThrows(SieveSyntaxException.class, () -> reader(malformed.input()).read(LIMIT));

        assertEquals(malformed.message(), e.getMessage());
    }

    @Test
    void syntaxErrorSkipsItsLiteral() throws IOException {
        SieveReader reader = reader("NOOP \"\\x\" {6+}\r\nLOGOUT\r\nCAPABILITY\r\n");
        assertThrows(SieveSyntaxException.class, () -> reader.read(LIMIT));

        assertEquals(List.of(atom("CAPABILITY")), reader.read(LIMIT).words());
    }

    @Test
    void literalAboveLimitRejected() {
        assertThrows(LineTooLongException.class, () -> reader("NOOP {2000+}\r\n").read(LIMIT));
    }

    @Test
    void lineAboveLimitRejected() {
        assertThrows(LineTooLongException.class, () -> reader("NOOP \"" + "x".repeat(2000) + "\"\r\n").read(LIMIT));
    }

    @Test
    void endOfStreamReturnsNull() throws IOException {
        assertNull(reader("").read(LIMIT));
    }
}
