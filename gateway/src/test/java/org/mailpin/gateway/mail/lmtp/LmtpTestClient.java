package org.mailpin.gateway.mail.lmtp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A line-level LMTP client for driving the proxy over loopback; every reply is read whole. */
final class LmtpTestClient implements AutoCloseable {

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    LmtpTestClient(int port) throws IOException {
        socket = new Socket();
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
        socket.setSoTimeout(10_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    /** Sends a line and returns the reply. */
    String command(String line) throws IOException {
        send(line);
        return reply();
    }

    void send(String line) throws IOException {
        sendRaw((line + "\r\n").getBytes(StandardCharsets.UTF_8));
    }

    void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /**
     * Reads one reply; the lines of a multi-line reply are joined with LF.
     *
     * @return the reply, or null when the server closed the connection
     */
    String reply() throws IOException {
        StringBuilder reply = new StringBuilder();
        while (true) {
            String line = readLine();
            if (line == null) {
                return reply.isEmpty() ? null : reply.toString();
            }
            if (!reply.isEmpty()) {
                reply.append('\n');
            }
            reply.append(line);
            if (line.length() < 4 || line.charAt(3) != '-') {
                return reply.toString();
            }
        }
    }

    /** Sends LHLO and MAIL FROM, checking both replies. */
    void startTransaction(String sender) throws IOException {
        expect("LHLO mta.test", "250");
        expect("MAIL FROM:<" + sender + ">", "250");
    }

    private void expect(String command, String code) throws IOException {
        String reply = command(command);
        if (reply == null || !reply.startsWith(code)) {
            throw new IOException(command + " was answered with " + reply + ", expected " + code);
        }
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                return new String(bytes, 0, Math.max(0, bytes.length - 1), StandardCharsets.UTF_8);
            }
            line.write(b);
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
