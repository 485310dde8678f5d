package org.mailpin.gateway.mail.lmtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.mailpin.gateway.mail.LineReader;

/** Tests the raw reads that relay a DATA section without consuming the commands after it. */
class LmtpDataReadTest {

    private static LineReader reader(String text) {
        return new LineReader(new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII)));
    }

    private static String read(LineReader reader, int length) throws IOException {
        byte[] buffer = new byte[length];
        int n = reader.readThroughLf(buffer, 0, length);
        return n < 0 ? null : new String(buffer, 0, n, StandardCharsets.US_ASCII);
    }

    @Test
    void stopsAfterEachLf() throws IOException {
        LineReader reader = reader("a\r\n.\r\nNOOP\r\n");
        assertEquals("a\r\n", read(reader, 100));
        assertEquals(".\r\n", read(reader, 100));
        assertEquals("NOOP", reader.readLineText(100), "the next command stays for readLine");
    }

    @Test
    void stopsAtLength() throws IOException {
        LineReader reader = reader("abcdef\n");
        assertEquals("abcd", read(reader, 4));
        assertEquals("ef\n", read(reader, 4));
    }

    @Test
    void keepsBareLfAndCr() throws IOException {
        LineReader reader = reader("a\rb\nc");
        assertEquals("a\rb\n", read(reader, 100));
        assertEquals("c", read(reader, 100));
    }

    @Test
    void returnsMinusOneAtEnd() throws IOException {
        LineReader reader = reader("");
        assertNull(read(reader, 100));
    }
}
