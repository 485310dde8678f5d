package org.mailpin.gateway.mail.submission;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.ProtocolException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mailpin.gateway.mail.LineReader;

class SmtpReplyTest {

    private static SmtpReply read(String input) throws IOException {
        return SmtpReply.read(new LineReader(new ByteArrayInputStream(input.getBytes(StandardCharsets.US_ASCII))));
    }

    @Test
    void readsMultilineReply() throws IOException {
        SmtpReply reply = read("250-backend\r\n250-AUTH PLAIN\r\n250 SIZE\r\nNOOP\r\n");

        assertEquals(250, reply.code());
        assertEquals(List.of("backend", "AUTH PLAIN", "SIZE"), reply.texts());
        assertArrayEquals("250-backend\r\n250-AUTH PLAIN\r\n250 SIZE\r\n".getBytes(StandardCharsets.US_ASCII), reply.raw());
    }

    @Test
    void readsCodeWithoutText() throws IOException {
        assertEquals(List.of(""), read("334\r\n").texts());
    }

    /** A reply that is not valid SMTP, and the start of the expected message. */
    record Invalid(String name, String input, String message) {

        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Invalid> invalidReplies() {
        return Stream.of(
                new Invalid("no code", "OK\r\n", "invalid reply line: OK"),
                new Invalid("code with letter", "2x0 OK\r\n", "invalid reply line: 2x0 OK"),
                new Invalid("no separator", "250OK\r\n", "invalid reply line: 250OK"),
                new Invalid("code changes", "250-a\r\n251 b\r\n", "reply code changed within a reply: 251 b"),
                new Invalid("closed inside a reply", "250-a\r\n", "connection closed"),
                new Invalid("too many lines", "250-a\r\n".repeat(SmtpReply.MAX_LINES + 1),
                        "reply has more than " + SmtpReply.MAX_LINES + " lines"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidReplies")
    void rejectsInvalidReply(Invalid invalid) {
        ProtocolException e = assertThrows(ProtocolException.class, () -> read(invalid.input()));

        assertEquals(invalid.message(), e.getMessage());
    }
}
