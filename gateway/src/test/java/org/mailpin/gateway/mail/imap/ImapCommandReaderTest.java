package org.mailpin.gateway.mail.imap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.mailpin.gateway.mail.LineReader;
import org.mailpin.gateway.mail.LineTooLongException;
import org.mailpin.gateway.mail.MalformedLineException;

class ImapCommandReaderTest {

    private static final int MAX = 256;

    private final AtomicInteger continuations = new AtomicInteger();

    private ImapCommandReader reader(String input, int max) {
        LineReader lines = new LineReader(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
        return new ImapCommandReader(lines, max, continuations::incrementAndGet);
    }

    static Stream<Arguments> validCommands() {
        return Stream.of(
                Arguments.of("LOGIN with atoms", "a1 LOGIN user01@example.test secret01\r\n",
                        "a1 LOGIN atom(user01@example.test) atom(secret01)", 0),
                Arguments.of("LOGIN with quoted strings and escapes", "a1 LOGIN \"user01\" \"p\\\"w\\\\d\"\r\n",
                        "a1 LOGIN quoted(user01) quoted(p\"w\\d)", 0),
                Arguments.of("LOGIN with synchronizing literals",
                        "a1 LOGIN {19}\r\nuser01@example.test {8}\r\nsecret01\r\n",
                        "a1 LOGIN literal(user01@example.test) literal(secret01)", 2),
                Arguments.of("LOGIN with non-synchronizing literals",
                        "a1 LOGIN {19+}\r\nuser01@example.test {8+}\r\nsecret01\r\n",
                        "a1 LOGIN literal(user01@example.test) literal(secret01)", 0),
                Arguments.of("LOGIN with a literal holding CRLF", "a1 LOGIN {8}\r\nus\r\nX Y1 pass\r\n",
                        "a1 LOGIN literal(us\r\nX Y1) atom(pass)", 1),
                Arguments.of("LOGIN with empty literals", "a1 LOGIN {0}\r\n {0}\r\n\r\n",
                        "a1 LOGIN literal() literal()", 2),
                Arguments.of("ID with a literal inside the list", "a1 ID (\"name\" {7}\r\nOutlook)\r\n",
                        "a1 ID (quoted(name) literal(Outlook))", 1),
                Arguments.of("ID NIL", "a1 ID NIL\r\n", "a1 ID atom(NIL)", 0),
                Arguments.of("ID with an empty list", "a1 ID ()\r\n", "a1 ID ()", 0),
                Arguments.of("AUTHENTICATE PLAIN with SASL-IR", "a2 AUTHENTICATE PLAIN AHVzZXIwMQBzZWNyZXQwMQ==\r\n",
                        "a2 AUTHENTICATE atom(PLAIN) atom(AHVzZXIwMQBzZWNyZXQwMQ==)", 0),
                Arguments.of("command name in lower case", "x login u p\r\n", "x LOGIN atom(u) atom(p)", 0),
                Arguments.of("extra spaces between words", "a  NOOP  \r\n", "a NOOP", 0),
                Arguments.of("UTF-8 atom", "a LOGIN jürgen pw\r\n", "a LOGIN atom(jürgen) atom(pw)", 0),
                Arguments.of("literal marker inside a quoted string is text", "a LOGIN u \"p {3}\"\r\n",
                        "a LOGIN atom(u) quoted(p {3})", 0),
                Arguments.of("resp-special in an astring", "a LOGIN us]er pw\r\n", "a LOGIN atom(us]er) atom(pw)", 0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("validCommands")
    void validCommand(String name, String input, String expected, int expectedContinuations) throws Exception {
        ImapCommand command = reader(input, MAX).read();

        assertEquals(expected, render(command));
        assertEquals(expectedContinuations, continuations.get());
    }

    static Stream<Arguments> invalidCommands() {
        return Stream.of(
                Arguments.of("empty line", "\r\n", "*", "Empty command line.", 0),
                Arguments.of("tag with plus", "a+ NOOP\r\n", "*", "Invalid tag.", 0),
                Arguments.of("tag only", "a1\r\n", "a1", "Missing command name.", 0),
                Arguments.of("star as tag", "* NOOP\r\n", "*", "Invalid tag.", 0),
                Arguments.of("unterminated quoted string", "a LOGIN \"user pw\r\n", "a", "Unterminated quoted string.", 0),
                Arguments.of("unterminated quote ending in a marker", "a LOGIN u \"p {3}\r\n", "a",
                        "Unterminated quoted string.", 0),
                Arguments.of("invalid escape", "a LOGIN \"us\\er\" pw\r\n", "a",
                        "Invalid escape in a quoted string; only \\\" and \\\\ are allowed.", 0),
                Arguments.of("NUL in a quoted string", "a LOGIN user \"sec\0ret\"\r\n", "a", "NUL in a quoted string.", 0),
                Arguments.of("missing space between arguments", "a LOGIN \"u\"\"p\"\r\n", "a",
                        "Expected a space between arguments.", 0),
                Arguments.of("unclosed list", "a ID (\"name\" \"x\"\r\n", "a", "Missing ')' at the end of a list.", 0),
                Arguments.of("stray closing parenthesis", "a ID )\r\n", "a", "Unexpected ')'.", 0),
                Arguments.of("literal in the middle of a line", "a LOGIN {3} pw\r\n", "a",
                        "Invalid literal; a literal {n} or {n+} must end its line.", 0),
                Arguments.of("lists nested too deep", "a ID ((((((((((x))))))))))\r\n", "a",
                        "Lists nested deeper than 8 levels.", 0),
                Arguments.of("synchronizing literal above the limit", "a LOGIN {300}\r\n", "a",
                        "Literal of 300 bytes is above the limit of 256 bytes per command.", 0),
                Arguments.of("synchronizing literal after an invalid tag", "+x LOGIN {5}\r\n", "*", "Invalid tag.", 0),
                Arguments.of("control character in an atom", "a LOGIN us\u0001er pw\r\n", "a",
                        "Expected a space between arguments.", 0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidCommands")
    void invalidCommand(String name, String input, String expectedTag, String expectedMessage,
                        int expectedContinuations) {
        ImapSyntaxException error = assertThrows(ImapSyntaxException.class, () -> reader(input, MAX).read());

        assertEquals(expectedTag, error.replyTag());
        assertEquals(expectedMessage, error.getMessage());
        assertEquals(expectedContinuations, continuations.get());
    }

    @Test
    void pipelinedCommandsReadInOrder() throws Exception {
        ImapCommandReader reader = reader("a NOOP\r\nb LOGIN {2}\r\nxy z\r\nc LOGOUT\r\n", MAX);

        assertEquals("a NOOP", render(reader.read()));
        assertEquals("b LOGIN literal(xy) atom(z)", render(reader.read()));
        assertEquals("c LOGOUT", render(reader.read()));
        assertNull(reader.read());
    }

    @Test
    void literalFillingTheLimitExactly() throws Exception {
        String line = "a LOGIN u {";
        int size = MAX - line.length() - 4;
        String input = line + size + "}\r\n" + "p".repeat(size) + "\r\n";

        ImapCommand command = reader(input, MAX).read();

        assertEquals("a LOGIN atom(u) literal(" + "p".repeat(size) + ")", render(command));
    }

    @Test
    void lineAboveLimitRejected() {
        String input = "a LOGIN " + "x".repeat(MAX) + " pw\r\n";

        assertThrows(LineTooLongException.class, () -> reader(input, MAX).read());
    }

    @Test
    void nonSynchronizingLiteralAboveLimitRejected() {
        assertThrows(LineTooLongException.class, () -> reader("a LOGIN {300+}\r\n", MAX).read());
    }

    @Test
    void lineAfterLiteralCountsTowardsLimit() {
        String input = "a LOGIN {200}\r\n" + "u".repeat(200) + " " + "p".repeat(60) + "\r\n";

        assertThrows(LineTooLongException.class, () -> reader(input, MAX).read());
    }

    @Test
    void bareLineFeedRejected() {
        assertThrows(MalformedLineException.class, () -> reader("a NOOP\n", MAX).read());
    }

    @Test
    void endOfStreamInsideLiteral() {
        assertThrows(EOFException.class, () -> reader("a LOGIN {10}\r\nabc", MAX).read());
    }

    @Test
    void endOfStreamBeforeCommand() throws Exception {
        assertNull(reader("", MAX).read());
    }

    @Test
    void argumentsHiddenInToString() throws Exception {
        ImapCommand command = reader("a LOGIN user01 secret01\r\n", MAX).read();

        assertEquals("ImapCommand[tag=a, name=LOGIN, 2 argument(s)]", command.toString());
    }

    /** Renders a command as "TAG NAME args", with each argument's kind and value. */
    static String render(ImapCommand command) {
        String args = command.args().stream().map(ImapCommandReaderTest::render).collect(Collectors.joining(" "));
        return (command.tag() + " " + command.name() + " " + args).strip();
    }

    private static String render(ImapArg arg) {
        return switch (arg) {
            case ImapArg.Atom atom -> "atom(" + atom.text() + ")";
            case ImapArg.Quoted quoted -> "quoted(" + new String(quoted.value(), StandardCharsets.UTF_8) + ")";
            case ImapArg.Literal literal -> "literal(" + new String(literal.value(), StandardCharsets.UTF_8) + ")";
            case ImapArg.ParenList list -> "(" + list.items().stream().map(ImapCommandReaderTest::render)
                    .collect(Collectors.joining(" ")) + ")";
        };
    }
}
