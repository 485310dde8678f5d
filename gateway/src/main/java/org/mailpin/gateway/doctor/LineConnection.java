package org.mailpin.gateway.doctor;

import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import org.mailpin.gateway.mail.LineReader;

/** A CRLF line exchange with a backend for the POP3 and ManageSieve checks. */
final class LineConnection implements AutoCloseable {

    /** Maximum length of a line accepted from a backend, in bytes. Greetings and login replies are far shorter. */
    static final int MAX_LINE = 64 * 1024;

    private final Socket socket;
    private final Deadline deadline;
    private final LineReader in;
    private final OutputStream out;

    private LineConnection(Socket socket, Deadline deadline) throws IOException {
        this.socket = socket;
        this.deadline = deadline;
        this.in = new LineReader(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    static LineConnection open(String address, int port, Deadline deadline) throws IOException {
        return new LineConnection(deadline.connect(address, port), deadline);
    }

    /**
     * Reads one line without its CRLF.
     *
     * @throws EOFException when the backend closed the connection
     */
    String readLine() throws IOException {
        socket.setSoTimeout(deadline.remainingMillis());
        String line = in.readLineText(MAX_LINE);
        if (line == null) {
            throw new EOFException("connection closed by the backend");
        }
        return line;
    }

    /** Reads a literal of {@code count} bytes as UTF-8 text. */
    String readLiteral(int count) throws IOException {
        socket.setSoTimeout(deadline.remainingMillis());
        return new String(in.readExactly(count), StandardCharsets.UTF_8);
    }

    void send(String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // The check already has its result.
        }
    }
}
