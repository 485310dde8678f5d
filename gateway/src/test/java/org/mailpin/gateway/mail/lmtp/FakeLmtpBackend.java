package org.mailpin.gateway.mail.lmtp;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.mailpin.director.Backend;
import org.mailpin.director.BackendPorts;

/**
 * A scripted LMTP server on loopback standing in for a Dovecot backend. It records every command
 * line and the raw bytes of every DATA section, which it reads up to the first CRLF.CRLF.
 */
final class FakeLmtpBackend implements AutoCloseable {

    private final String id;
    private final ServerSocket server;
    private final List<String> commands = new CopyOnWriteArrayList<>();
    private final List<byte[]> messages = new CopyOnWriteArrayList<>();
    private final Map<String, String> rcptReplies = new ConcurrentHashMap<>();
    private final Map<String, String> dataReplies = new ConcurrentHashMap<>();
    private volatile List<String> capabilities = List.of("PIPELINING", "ENHANCEDSTATUSCODES", "8BITMIME",
            "XCLIENT ADDR PORT PROTO HELO LOGIN SESSION TTL TIMEOUT");
    private volatile boolean closeInsideData;
    private volatile boolean stallInsideData;
    private final CountDownLatch closed = new CountDownLatch(1);
    private final CountDownLatch abortedData = new CountDownLatch(1);

    FakeLmtpBackend(String id) throws IOException {
        this.id = id;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("fake-lmtp-" + id).start(this::accept);
    }

    /** Returns the director's view of this server. */
    Backend backend() {
        return new Backend(id, "127.0.0.1", 100, "", new BackendPorts(0, 0, server.getLocalPort(), 0, 0), null, true);
    }

    /** Sets the reply to {@code RCPT TO:<address>}; the default is {@code 250 2.1.5 OK}. */
    void rcptReply(String address, String reply) {
        rcptReplies.put(address, reply);
    }

    /** Sets the reply for the recipient after DATA; the default is {@code 250 2.0.0 <address> Saved on ID}. */
    void dataReply(String address, String reply) {
        dataReplies.put(address, reply);
    }

    /** Sets the LHLO keywords after the first line. */
    void capabilities(List<String> keywords) {
        capabilities = List.copyOf(keywords);
    }

    /** Makes the server close the connection after reading the first bytes of a DATA section. */
    void closeInsideData() {
        closeInsideData = true;
    }

    /** Makes the server stop reading after its 354 reply to DATA, until it is closed. */
    void stallInsideData() {
        stallInsideData = true;
    }

    /** Waits until a DATA section ended with the connection instead of its end line. */
    boolean awaitAbortedData(Duration timeout) throws InterruptedException {
        return abortedData.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    List<String> commands() {
        return List.copyOf(commands);
    }

    /** Returns each DATA section as received, dot-stuffing and end line included. */
    List<byte[]> messages() {
        return List.copyOf(messages);
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                Thread.ofVirtual().name("fake-lmtp-" + id + "-conn").start(() -> serve(socket));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            InputStream in = new BufferedInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            write(out, "220 " + id + ".test LMTP ready");
            List<String> accepted = new ArrayList<>();
            String line;
            while ((line = readLine(in)) != null) {
                commands.add(line);
                String upper = line.toUpperCase(Locale.ROOT);
                if (upper.startsWith("LHLO ")) {
                    StringBuilder reply = new StringBuilder("250-" + id + ".test");
                    for (int i = 0; i < capabilities.size(); i++) {
                        reply.append("\r\n250").append(i == capabilities.size() - 1 ? ' ' : '-').append(capabilities.get(i));
                    }
                    write(out, reply.toString());
                } else if (upper.startsWith("XCLIENT ")) {
                    write(out, "220 " + id + ".test LMTP ready");
                } else if (upper.startsWith("MAIL FROM:")) {
                    accepted.clear();
                    write(out, "250 2.1.0 OK");
                } else if (upper.startsWith("RCPT TO:")) {
                    String address = line.substring(line.indexOf('<') + 1, line.lastIndexOf('>'));
                    String reply = rcptReplies.getOrDefault(address, "250 2.1.5 OK");
                    if (reply.startsWith("2")) {
                        accepted.add(address);
                    }
                    write(out, reply);
                } else if (upper.equals("DATA")) {
                    write(out, "354 OK");
                    if (closeInsideData) {
                        in.read();
                        return;
                    }
                    if (stallInsideData) {
                        closed.await();
                        return;
                    }
                    byte[] message = readData(in);
                    if (message == null) {
                        abortedData.countDown();
                        return;
                    }
                    messages.add(message);
                    for (String address : accepted) {
                        write(out, dataReplies.getOrDefault(address, "250 2.0.0 <" + address + "> Saved on " + id));
                    }
                } else if (upper.equals("QUIT")) {
                    write(out, "221 2.0.0 Bye");
                    return;
                } else {
                    write(out, "250 2.0.0 OK");
                }
            }
        } catch (IOException e) {
            // The proxy closed the connection.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // Returns null when the connection ends or fails before the end line.
    private static byte[] readData(InputStream in) {
        try {
            return readDataOrEof(in);
        } catch (IOException e) {
            return null;
        }
    }

    private static byte[] readDataOrEof(InputStream in) throws IOException {
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        // The last five bytes read, starting as if a CRLF came before the section, so that a
        // section of only ".CRLF" ends too.
        byte[] tail = {0, 0, 0, '\r', '\n'};
        int b;
        while ((b = in.read()) >= 0) {
            data.write(b);
            System.arraycopy(tail, 1, tail, 0, 4);
            tail[4] = (byte) b;
            if (tail[0] == '\r' && tail[1] == '\n' && tail[2] == '.' && tail[3] == '\r' && tail[4] == '\n') {
                return data.toByteArray();
            }
        }
        return null;
    }

    private static String readLine(InputStream in) throws IOException {
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

    private static void write(OutputStream out, String reply) throws IOException {
        out.write((reply + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    @Override
    public void close() throws IOException {
        closed.countDown();
        server.close();
    }
}
