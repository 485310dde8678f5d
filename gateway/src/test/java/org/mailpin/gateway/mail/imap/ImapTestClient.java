package org.mailpin.gateway.mail.imap;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

import org.mailpin.gateway.mail.LineReader;

/**
 * A raw IMAP client over a real socket, for tests that must control every byte. Every read waits
 * at most 5 s, so a missing reply fails the test instead of hanging it.
 */
public final class ImapTestClient implements AutoCloseable {

    private static final int READ_TIMEOUT_MILLIS = 5000;

    private Socket socket;
    private LineReader reader;
    private OutputStream out;

    private ImapTestClient(Socket socket) throws IOException {
        attach(socket);
    }

    /** Connects to host:port with plain TCP. */
    public static ImapTestClient connect(String host, int port) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress(InetAddress.getByName(host), port), READ_TIMEOUT_MILLIS);
        return new ImapTestClient(socket);
    }

    /** Connects to host:port with implicit TLS. */
    public static ImapTestClient connectTls(String host, int port, SSLContext context) throws IOException {
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket();
        socket.connect(new InetSocketAddress(InetAddress.getByName(host), port), READ_TIMEOUT_MILLIS);
        socket.setSoTimeout(READ_TIMEOUT_MILLIS);
        socket.startHandshake();
        return new ImapTestClient(socket);
    }

    private void attach(Socket newSocket) throws IOException {
        socket = newSocket;
        socket.setSoTimeout(READ_TIMEOUT_MILLIS);
        reader = new LineReader(socket.getInputStream());
        out = socket.getOutputStream();
    }

    /** Sends the text as it is (UTF-8), in one write. */
    public void send(String raw) throws IOException {
        send(raw.getBytes(StandardCharsets.UTF_8));
    }

    public void send(byte[] raw) throws IOException {
        out.write(raw);
        out.flush();
    }

    /** Returns the next line without CRLF, or null when the server closed the connection. */
    public String readLine() throws IOException {
        byte[] line = reader.readLine(1 << 20);
        return line == null ? null : new String(line, StandardCharsets.UTF_8);
    }

    /** Returns the lines up to and including the first one tagged {@code tag}. */
    public List<String> readUntilTagged(String tag) throws IOException {
        List<String> lines = new ArrayList<>();
        while (true) {
            String line = readLine();
            if (line == null) {
                lines.add("<connection closed>");
                return lines;
            }
            lines.add(line);
            if (line.startsWith(tag + " ")) {
                return lines;
            }
        }
    }

    /** Returns the tagged line that ends {@code tag}'s command, or {@code <connection closed>}. */
    public String tagged(String tag) throws IOException {
        List<String> lines = readUntilTagged(tag);
        return lines.get(lines.size() - 1);
    }

    /** Sends one command line and returns its tagged reply. */
    public String command(String tag, String command) throws IOException {
        send(tag + " " + command + "\r\n");
        return tagged(tag);
    }

    /** Starts TLS in client mode on the open connection, after the server's STARTTLS OK. */
    public void startTls(SSLContext context) throws IOException {
        SSLSocket secure = (SSLSocket) context.getSocketFactory().createSocket(socket,
                socket.getInetAddress().getHostAddress(), socket.getPort(), true);
        secure.setUseClientMode(true);
        secure.startHandshake();
        attach(secure);
    }

    /** True when the server closed the connection: the next read ends the stream. */
    public boolean closedByServer() throws IOException {
        try {
            return reader.readLine(1 << 20) == null;
        } catch (java.net.SocketException e) {
            return true;
        }
    }

    public int localPort() {
        return socket.getLocalPort();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
