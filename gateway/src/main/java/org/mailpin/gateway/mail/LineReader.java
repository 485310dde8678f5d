package org.mailpin.gateway.mail;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Bounded reading of CRLF-terminated lines and fixed-size literals from a client.
 *
 * <p>Every line and literal has a limit, so a client cannot make the proxy buffer without end
 * before it has logged in. A line must end with CRLF: a bare LF inside a line is rejected rather
 * than treated as a line end, because a backend that splits lines differently from the proxy could
 * otherwise run a command the proxy never saw.
 */
public final class LineReader {

    private final InputStream in;
    private final byte[] buffer = new byte[8192];
    private int start;
    private int end;

    public LineReader(InputStream in) {
        this.in = in;
    }

    /**
     * Reads one line without its CRLF.
     *
     * @return the line, or null at end of stream before any byte
     * @throws LineTooLongException when the line exceeds {@code maxLength} bytes
     * @throws MalformedLineException on a bare CR or LF inside the line
     */
    public byte[] readLine(int maxLength) throws IOException {
        // At least 2 bytes, so the doubling below also grows the buffer when maxLength is 0.
        byte[] line = new byte[(int) Math.min(maxLength + 2L, 256)];
        int length = 0;
        while (true) {
            if (start == end && !fill()) {
                if (length == 0) {
                    return null;
                }
                throw new EOFException("connection closed inside a line");
            }
            byte b = buffer[start++];
            if (b == '\n') {
                if (length == 0 || line[length - 1] != '\r') {
                    throw new MalformedLineException("bare LF in a command line; lines must end with CRLF");
                }
                return Arrays.copyOf(line, length - 1);
            }
            if (length > 0 && line[length - 1] == '\r') {
                throw new MalformedLineException("bare CR in a command line");
            }
            if (length == maxLength + 1) {
                throw new LineTooLongException(maxLength);
            }
            if (length == line.length) {
                line = Arrays.copyOf(line, Math.min(line.length * 2, maxLength + 2));
            }
            line[length++] = b;
        }
    }

    /** Reads a line as UTF-8 text; see {@link #readLine(int)}. */
    public String readLineText(int maxLength) throws IOException {
        byte[] line = readLine(maxLength);
        return line == null ? null : new String(line, StandardCharsets.UTF_8);
    }

    /** Reads exactly {@code count} bytes (an IMAP literal, a SASL blob). */
    public byte[] readExactly(int count) throws IOException {
        byte[] data = new byte[count];
        int filled = 0;
        while (filled < count) {
            if (start == end && !fill()) {
                throw new EOFException("connection closed inside a literal of " + count + " bytes");
            }
            int n = Math.min(count - filled, end - start);
            System.arraycopy(buffer, start, data, filled, n);
            start += n;
            filled += n;
        }
        return data;
    }

    /**
     * Reads raw bytes up to and including the next LF, at most {@code length} of them, for a
     * payload that is relayed as it is (an SMTP DATA section). Stopping at the LF means a caller
     * that watches for its own end marker never consumes the commands that follow the payload.
     *
     * @return how many bytes were copied into {@code dest}, or -1 at end of stream
     */
    public int readThroughLf(byte[] dest, int offset, int length) throws IOException {
        if (start == end && !fill()) {
            return -1;
        }
        int limit = Math.min(end, start + length);
        int stop = start;
        while (stop < limit && buffer[stop] != '\n') {
            stop++;
        }
        int n = stop < limit ? stop - start + 1 : limit - start;
        System.arraycopy(buffer, start, dest, offset, n);
        start += n;
        return n;
    }

    /** Returns how many bytes the client sent that are not read yet. */
    public int buffered() {
        return end - start;
    }

    /**
     * Drops bytes already received but not read. Used after STARTTLS: anything a client pipelined
     * behind it arrived in plaintext and must not run inside the TLS session.
     */
    public int discardBuffered() {
        int dropped = end - start;
        start = end;
        return dropped;
    }

    /** Hands over the unread bytes, for a relay that takes over the connection. */
    public byte[] drain() {
        byte[] rest = Arrays.copyOfRange(buffer, start, end);
        start = end;
        return rest;
    }

    private boolean fill() throws IOException {
        int n = in.read(buffer, 0, buffer.length);
        if (n <= 0) {
            return false;
        }
        start = 0;
        end = n;
        return true;
    }
}
