package org.mailpin.gateway.mail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A test client for line protocols: reads CRLF lines one byte at a time, so nothing past a line is
 * consumed before a STARTTLS handshake. Reads time out after {@link #READ_TIMEOUT_MILLIS}, so a
 * test that expects a reply which never comes fails instead of hanging.
 */
public final class LineClient implements AutoCloseable {

    static final int READ_TIMEOUT_MILLIS = 10_000;

    private Socket socket;
    private InputStream in;
    private OutputStream out;

    private LineClient(Socket socket) throws IOException {
        attach(socket);
    }

    /** Connects to 127.0.0.1:port, with TLS from the start when {@code tls} is not null. */
    public static LineClient connect(int port, SSLContext tls) throws IOException {
        return connectFrom(null, port, tls);
    }

    /**
     * Connects from a local address, e.g. 127.0.0.5, so a backend's log can tell the client from
     * the proxy; null lets the kernel choose.
     */
    public static LineClient connectFrom(String localAddress, int port, SSLContext tls) throws IOException {
        Socket socket = new Socket();
        if (localAddress != null) {
            socket.bind(new InetSocketAddress(InetAddress.getByName(localAddress), 0));
        }
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), READ_TIMEOUT_MILLIS);
        LineClient client = new LineClient(socket);
        if (tls != null) {
            client.startTls(tls);
        }
        return client;
    }

    private void attach(Socket newSocket) throws IOException {
        socket = newSocket;
        socket.setSoTimeout(READ_TIMEOUT_MILLIS);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    /** Returns the next line without CRLF, or null when the server closed the connection. */
    public String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int previous = -1;
        while (true) {
            int b = in.read();
            if (b < 0) {
                return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
            }
            if (b == '\n' && previous == '\r') {
                byte[] bytes = line.toByteArray();
                return new String(bytes, 0, bytes.length - 1, StandardCharsets.UTF_8);
            }
            line.write(b);
            previous = b;
        }
    }

    public List<String> readLines(int count) throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            lines.add(readLine());
        }
        return lines;
    }

    /** Reads lines up to and including the first that starts with {@code prefix}. */
    public List<String> readThrough(String prefix) throws IOException {
        List<String> lines = new ArrayList<>();
        String line;
        do {
            line = readLine();
            lines.add(line);
        } while (line != null && !line.startsWith(prefix));
        return lines;
    }

    public void writeLine(String line) throws IOException {
        write(line + "\r\n");
    }

    public void write(String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** Starts TLS on the connection as the client. */
    public void startTls(SSLContext tls) throws IOException {
        SSLSocket secure = (SSLSocket) tls.getSocketFactory().createSocket(socket, "127.0.0.1", socket.getPort(), true);
        secure.setUseClientMode(true);
        secure.startHandshake();
        attach(secure);
    }

    public int localPort() {
        return socket.getLocalPort();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
