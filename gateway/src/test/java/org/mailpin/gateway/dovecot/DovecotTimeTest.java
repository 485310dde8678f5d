package org.mailpin.gateway.dovecot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The accepted and rejected values are the ones doveconf 2.3.19.1 accepts and rejects for director_user_expire. */
class DovecotTimeTest {

    @Test
    void acceptedForms() {
        Map<String, Duration> cases = Map.ofEntries(
                Map.entry("60 min", Duration.ofHours(1)),
                Map.entry("60min", Duration.ofHours(1)),
                Map.entry("60m", Duration.ofHours(1)),
                Map.entry("1h", Duration.ofHours(1)),
                Map.entry("1 hours", Duration.ofHours(1)),
                Map.entry("90 s", Duration.ofSeconds(90)),
                Map.entry("5 minutes", Duration.ofMinutes(5)),
                Map.entry("5 mi", Duration.ofMinutes(5)),
                Map.entry("1 day", Duration.ofDays(1)),
                Map.entry("2 weeks", Duration.ofDays(14)),
                Map.entry("3000 ms", Duration.ofSeconds(3)),
                Map.entry("0", Duration.ZERO));
        cases.forEach((text, expected) -> assertEquals(expected, DovecotTime.parse(text), text));
    }

    @Test
    void missingUnitRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DovecotTime.parse("60"));

        assertEquals("time interval '60' has no unit; Dovecot needs one too, e.g. 60 min", e.getMessage());
    }

    @Test
    void partialSecondsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DovecotTime.parse("1500 ms"));

        assertEquals("time interval '1500 ms' is not whole seconds; this setting takes seconds, e.g. 2 s", e.getMessage());
    }

    @Test
    void malformedRejected() {
        for (String text : new String[] {"1.5h", "-5 min", "60 minx", "min", "5 x"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DovecotTime.parse(text), text);
            assertEquals("invalid time interval '" + text + "'; expected a whole number and a unit, e.g. 60 min, 1h "
                    + "or 2 days", e.getMessage());
        }
    }
}
