package org.mailpin.gateway.mail;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * One client connection to a mail listener, before and after TLS: its socket, a bounded
 * {@link LineReader} and a buffered output. Owned by the single virtual thread that runs the
 * session, so nothing here is synchronized.
 */
public final class ClientConnection implements AutoCloseable {

    private static final AtomicLong IDS = new AtomicLong();

    private final String id;
    private final Protocol protocol;
    private Socket socket;
    private LineReader reader;
    private OutputStream out;
    private boolean tls;

    public ClientConnection(Socket socket, Protocol protocol) throws IOException {
        this.id = protocol.label() + "-" + Long.toString(IDS.incrementAndGet(), 36);
        this.protocol = protocol;
        attach(socket, socket instanceof SSLSocket);
    }

    private void attach(Socket newSocket, boolean secured) throws IOException {
        this.socket = newSocket;
        this.reader = new LineReader(newSocket.getInputStream());
        this.out = new BufferedOutputStream(newSocket.getOutputStream(), 8192);
        this.tls = secured;
    }

    /** Returns the id that every log line of this connection carries, e.g. {@code imap-1a}. */
    public String id() {
        return id;
    }

    public Protocol protocol() {
        return protocol;
    }

    public LineReader reader() {
        return reader;
    }

    public boolean isTls() {
        return tls;
    }

    public Socket socket() {
        return socket;
    }

    public InetSocketAddress remote() {
        return (InetSocketAddress) socket.getRemoteSocketAddress();
    }

    public InetSocketAddress local() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    /** Writes a line and CRLF, and flushes. */
    public void writeLine(String line) throws IOException {
        out.write(line.getBytes(StandardCharsets.UTF_8));
        out.write('\r');
        out.write('\n');
        out.flush();
    }

    public void write(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /**
     * Switches to TLS in server mode after a STARTTLS/STLS reply was sent. Bytes the client sent
     * after the command are dropped, not run: they were not protected by TLS (RFC 3501 6.2.1,
     * RFC 2595 3.1).
     *
     * @return how many pipelined bytes were dropped
     */
    public int startTls(SSLContext context) throws IOException {
        int dropped = reader.discardBuffered();
        SSLSocket secure = (SSLSocket) context.getSocketFactory()
                .createSocket(socket, remote().getHostString(), remote().getPort(), true);
        secure.setUseClientMode(false);
        secure.startHandshake();
        attach(secure, true);
        return dropped;
    }

    public void setReadTimeout(int millis) throws IOException {
        socket.setSoTimeout(millis);
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // The connection is going away either way.
        }
    }
}
