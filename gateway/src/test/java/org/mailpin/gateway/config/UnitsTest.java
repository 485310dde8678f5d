package org.mailpin.gateway.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class UnitsTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "500ms, PT0.5S",
            "90s, PT1M30S",
            "30sec, PT30S",
            "15m, PT15M",
            "60min, PT1H",
            "5mins, PT5M",
            "1h, PT1H",
            "2hours, PT2H",
            "1d, PT24H",
            "1day, PT24H",
            "7days, PT168H",
            "'  15 m  ', PT15M",
            "15M, PT15M",
            "0s, PT0S",
    })
    void durationParsed(String text, Duration expected) {
        assertEquals(expected, Units.duration(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"60 minutes", "15", "", "m", "-5m", "1.5h", "15 m s", "1w"})
    void durationRejected(String text) {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> Units.duration(text));

        assertTrue(error.getMessage().startsWith("invalid duration '" + text + "'"), error.getMessage());
        assertTrue(error.getMessage().contains("e.g. 30s, 15m, 60min or 1h"), error.getMessage());
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "1024, 1024",
            "100b, 100",
            "64k, 65536",
            "64KB, 65536",
            "64KiB, 65536",
            "35MB, 36700160",
            "35 mb, 36700160",
            "1MiB, 1048576",
            "2GB, 2147483648",
            "2gib, 2147483648",
            "' 1g ', 1073741824",
    })
    void sizeParsed(String text, long expected) {
        assertEquals(expected, Units.size(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"35 megabytes", "-1MB", "1.5MB", "", "MB", "10TB"})
    void sizeRejected(String text) {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> Units.size(text));

        assertTrue(error.getMessage().startsWith("invalid size '" + text + "'"), error.getMessage());
        assertTrue(error.getMessage().contains("e.g. 35MB"), error.getMessage());
    }

    @Test
    void hugeDurationRejectedAsTooLarge() {
        var error = assertThrows(IllegalArgumentException.class, () -> Units.duration("9223372036854775807d"));
        assertTrue(error.getMessage().contains("too large"), error.getMessage());
    }

    @Test
    void hugeSizeRejectedAsTooLarge() {
        var error = assertThrows(IllegalArgumentException.class, () -> Units.size("8589934592GB"));
        assertTrue(error.getMessage().contains("too large"), error.getMessage());
    }
}
