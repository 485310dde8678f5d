package org.mailpin.gateway.mail.lmtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.mailpin.gateway.mail.LineReader;

/** Tests reading backend replies and relaying them. */
class LmtpReplyTest {

    private static LmtpReply read(String wire) throws IOException {
        return LmtpReply.read(new LineReader(new ByteArrayInputStream(wire.getBytes(StandardCharsets.UTF_8))));
    }

    // The tables write each CRLF as '/'.
    private static String crlf(String text) {
        return text.replace("/", "\r\n");
    }

    @Test
    void readsMultiLineReply() throws IOException {
        LmtpReply reply = read("250-be1.test\r\n250-PIPELINING\r\n250 XCLIENT ADDR PORT\r\n");
        assertEquals(250, reply.code());
        assertEquals(List.of("PIPELINING", "XCLIENT ADDR PORT"), reply.capabilities());
    }

    @Test
    void readsBareCode() throws IOException {
        assertEquals(List.of(""), read("354\r\n").lines());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "hello/         | invalid reply line 'hello'",
            "250x OK/       | invalid reply line '250x OK'",
            "150 OK/        | invalid reply line '150 OK'",
            "250-a/550 b/   | reply code changed from 250 to 550 inside a multi-line reply",
    })
    void rejectsBadReplies(String wire, String message) {
        LmtpReply.BadReplyException e = assertThrows(LmtpReply.BadReplyException.class, () -> read(crlf(wire)));
        assertEquals(message, e.getMessage());
    }

    @Test
    void rejectsEndlessReply() {
        String wire = "250-x\r\n".repeat(LmtpReply.MAX_LINES + 1) + "250 x\r\n";
        assertThrows(LmtpReply.BadReplyException.class, () -> read(wire));
    }

    @Test
    void rejectsTruncatedReply() {
        assertThrows(EOFException.class, () -> read("250-first\r\n"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "250 2.1.5 OK/          | 250 2.1.5 OK/",
            "550 No such user/      | 550 5.0.0 No such user/",
            "452-Full/452 Sorry/    | 452-4.0.0 Full/452 4.0.0 Sorry/",
            "250/                   | 250 2.0.0/",
    })
    void addsMissingEnhancedCode(String wire, String relayed) throws IOException {
        assertEquals(crlf(relayed), read(crlf(wire)).withEnhancedCode().wire());
    }

    @Test
    void summaryHidesControlCharacters() {
        assertEquals("250 2.0.0 a?b", LmtpReply.of(250, "2.0.0", "a\u0001b").summary());
    }
}
