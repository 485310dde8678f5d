package org.mailpin.gateway.health;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import org.mailpin.gateway.config.Units;

/**
 * One probe's TCP connection to a backend service: CRLF lines in and out, every step bounded by one
 * deadline that starts at connect, and every failure turned into a {@link ProbeFailedException}
 * whose reason names the service, the address and the step.
 */
final class ProbeConnection implements Closeable {

    // Greetings and capability lines are short; a longer line means the port is not what we expect.
    static final int MAX_LINE = 8192;

    private final String service;
    private final Duration timeout;
    private final long deadline;
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private ProbeConnection(String service, Duration timeout, long deadline, Socket socket) throws IOException {
        this.service = service;
        this.timeout = timeout;
        this.deadline = deadline;
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    /**
     * Connects to the service.
     *
     * @param service       the label that starts every failure reason, e.g. {@code imap}
     * @param sourceAddress local address to connect from, or null
     */
    static ProbeConnection open(String service, String host, int port, Duration timeout, String sourceAddress)
            throws ProbeFailedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String target = (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        Socket socket = new Socket();
        try {
            if (sourceAddress != null) {
                socket.bind(new InetSocketAddress(InetAddress.getByName(sourceAddress), 0));
            }
            socket.connect(new InetSocketAddress(InetAddress.getByName(host), port), (int) timeout.toMillis());
            return new ProbeConnection(service, timeout, deadline, socket);
        } catch (SocketTimeoutException e) {
            closeQuietly(socket);
            throw new ProbeFailedException(service + ": connect to " + target + " timed out after "
                    + Units.format(timeout));
        } catch (ConnectException e) {
            closeQuietly(socket);
            throw new ProbeFailedException(service + ": connect to " + target
                    + (isConnectionRefused(e) ? " refused" : " failed: " + e.getMessage()));
        } catch (IOException e) {
            closeQuietly(socket);
            throw new ProbeFailedException(service + ": connect to " + target + " failed: " + e.getMessage());
        }
    }

    private static boolean isConnectionRefused(ConnectException e) {
        return e.getMessage() != null && e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("refused");
    }

    /**
     * Reads one line without its CRLF.
     *
     * @param step what the line is, for the failure reason, e.g. {@code greeting} or {@code CAPA response}
     */
    String readLine(String step) throws ProbeFailedException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        try {
            while (true) {
                socket.setSoTimeout(remainingMillis(step));
                int b = in.read();
                if (b < 0) {
                    throw failure("connection closed by the server while waiting for the " + step);
                }
                if (b == '\n') {
                    break;
                }
                line.write(b);
                if (line.size() > MAX_LINE) {
                    throw failure(step + " line longer than " + MAX_LINE + " bytes");
                }
            }
        } catch (SocketTimeoutException e) {
            throw timedOut(step);
        } catch (IOException e) {
            throw failure("reading the " + step + " failed: " + e.getMessage());
        }
        String text = line.toString(StandardCharsets.ISO_8859_1);
        return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
    }

    /** Sends one command line; CRLF is added. */
    void send(String command) throws ProbeFailedException {
        try {
            out.write((command + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        } catch (IOException e) {
            throw failure("sending " + command + " failed: " + e.getMessage());
        }
    }

    /** Returns a failure whose reason starts with this connection's service label. */
    ProbeFailedException failure(String problem) {
        return new ProbeFailedException(service + ": " + problem);
    }

    private int remainingMillis(String step) throws ProbeFailedException {
        long remaining = Duration.ofNanos(deadline - System.nanoTime()).toMillis();
        if (remaining <= 0) {
            throw timedOut(step);
        }
        return (int) Math.min(Integer.MAX_VALUE, remaining);
    }

    private ProbeFailedException timedOut(String step) {
        return failure(step + " timed out after " + Units.format(timeout));
    }

    @Override
    public void close() {
        closeQuietly(socket);
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // Nothing was promised to the server after the probe's last line.
        }
    }
}
