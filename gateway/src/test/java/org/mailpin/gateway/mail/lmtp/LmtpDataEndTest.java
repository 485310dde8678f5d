package org.mailpin.gateway.mail.lmtp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Tests where the DATA end scanner finds the end line; '~' stands for CR and '|' for LF. */
class LmtpDataEndTest {

    private static byte[] bytes(String text) {
        return text.replace('~', '\r').replace('|', '\n').getBytes(StandardCharsets.US_ASCII);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "'.~|', 3",
            "'.|', 2",
            "'a~|.~|', 6",
            "'a~|.~|b~|', 6",
            "'a|.|', 4",
            "'a|.~|', 5",
            "'a~|.|', 5",
            "'a~|..~|.~|', 10",
            "'a~|..~|', -1",
            "'a~|. ~|', -1",
            "'a~|.~~|', -1",
            "'a~|.x|', -1",
            "'a.~|', -1",
            "'~.~|', -1",
            "'a~|.~', -1",
    })
    void findsEndLine(String input, int expectedEnd) {
        byte[] data = bytes(input);
        assertEquals(expectedEnd, new DataEndScanner().scan(data, 0, data.length));
    }

    @Test
    void endLineSplitAcrossChunks() {
        byte[] data = bytes("body~|.~|");
        DataEndScanner scanner = new DataEndScanner();
        for (int i = 0; i < data.length - 1; i++) {
            assertEquals(-1, scanner.scan(data, i, 1), "byte " + i);
        }
        assertEquals(data.length, scanner.scan(data, data.length - 1, 1));
    }
}
