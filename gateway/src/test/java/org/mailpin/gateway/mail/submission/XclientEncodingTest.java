package org.mailpin.gateway.mail.submission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class XclientEncodingTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "client.example|client.example",
            "[127.0.0.1]|[127.0.0.1]",
            "a+b=c|a+2Bb+3Dc",
            "a b|a+20b",
            "gr\u00fc\u00df|gr+C3+BC+C3+9F"})
    void xtextEncodes(String value, String encoded) {
        assertEquals(encoded, Xtext.encode(value));
    }

    @Test
    void packKeepsShortAttributesOnOneLine() {
        assertEquals(List.of("XCLIENT ADDR=127.0.0.1 PORT=4242"), SubmissionBackend.pack(List.of("ADDR=127.0.0.1", "PORT=4242")));
    }

    @Test
    void packSplitsAt512Octets() {
        String helo = "HELO=" + "h".repeat(400);
        List<String> commands = SubmissionBackend.pack(List.of("ADDR=127.0.0.1", "PORT=4242", helo, "SESSION=" + "s".repeat(100)));

        assertEquals(List.of("XCLIENT ADDR=127.0.0.1 PORT=4242 " + helo, "XCLIENT SESSION=" + "s".repeat(100)), commands);
        for (String command : commands) {
            assertTrue(command.length() + 2 <= SubmissionBackend.MAX_COMMAND_LINE, command);
        }
    }
}
