package org.mailpin.gateway.dovecot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

class MailpinYamlTest {

    @Test
    void scalarsQuotedOnlyWhenNeeded() {
        Map<String, String> cases = Map.of(
                "127.0.0.11", "127.0.0.11",
                "127.0.0.1:24", "127.0.0.1:24",
                "[::]:143", "\"[::]:143\"",
                "%Lu", "\"%Lu\"",
                "yes", "\"yes\"",
                "10:30", "\"10:30\"",
                "1.5", "\"1.5\"",
                "pool \"a\"", "\"pool \\\"a\\\"\"",
                "director3:5701", "director3:5701");
        cases.forEach((value, expected) -> assertEquals(expected, MailpinYaml.scalar(value), value));
    }

    @Test
    void durationsInLargestWholeUnit() {
        assertEquals("1h", MailpinYaml.duration(Duration.ofMinutes(60)));
        assertEquals("90m", MailpinYaml.duration(Duration.ofMinutes(90)));
        assertEquals("2d", MailpinYaml.duration(Duration.ofDays(2)));
        assertEquals("14d", MailpinYaml.duration(Duration.ofDays(14)));
        assertEquals("45s", MailpinYaml.duration(Duration.ofSeconds(45)));
    }
}
