package org.mailpin.gateway.mail;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A fake backend on a loopback port for unit tests: each accepted connection runs a
 * {@link Conversation} written by the test, and every line the backend reads is recorded.
 */
public final class ScriptedBackend implements AutoCloseable {

    /** What the backend does on one connection. */
    @FunctionalInterface
    public interface Conversation {
        void run(Peer peer) throws IOException;
    }

    /** The backend's end of one connection. */
    public final class Peer {

        private final Socket socket;
        private final LineReader in;
        private final OutputStream out;

        Peer(Socket socket) throws IOException {
            this.socket = socket;
            this.in = new LineReader(socket.getInputStream());
            this.out = socket.getOutputStream();
        }

        /** Reads a line and records it; returns null when the proxy closed the connection. */
        public String readLine() throws IOException {
            String line = in.readLineText(65536);
            if (line != null) {
                received.add(line);
            }
            return line;
        }

        public void send(String... lines) throws IOException {
            for (String line : lines) {
                out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
            }
            out.flush();
        }

        /** Replies to every further line with {@code prefix} and the line, until the proxy closes. */
        public void echoLines(String prefix) throws IOException {
            String line;
            while ((line = readLine()) != null) {
                send(prefix + line);
            }
        }

        public InetSocketAddress remote() {
            return (InetSocketAddress) socket.getRemoteSocketAddress();
        }
    }

    private final ServerSocket server;
    private final Conversation conversation;
    /** Every line the backend read, over all connections. */
    public final List<String> received = new CopyOnWriteArrayList<>();

    public ScriptedBackend(Conversation conversation) throws IOException {
        this(InetAddress.getLoopbackAddress(), conversation);
    }

    /** Listens on {@code address}, e.g. 127.0.0.2 for a second backend, since backends differ by address. */
    public ScriptedBackend(InetAddress address, Conversation conversation) throws IOException {
        this.conversation = conversation;
        this.server = new ServerSocket();
        server.bind(new InetSocketAddress(address, 0));
        Thread.ofVirtual().name("scripted-backend").start(this::accept);
    }

    public int port() {
        return server.getLocalPort();
    }

    private void accept() {
        while (!server.isClosed()) {
            Socket socket;
            try {
                socket = server.accept();
            } catch (IOException e) {
                return;
            }
            Thread.ofVirtual().name("scripted-backend-connection").start(() -> serve(socket));
        }
    }

    // A conversation that fails shows up in the test as a reply the client did not expect.
    private void serve(Socket socket) {
        try (socket) {
            conversation.run(new Peer(socket));
        } catch (IOException e) {
            // The proxy closed the connection.
        }
    }

    /** Returns a closed port: nothing listens there once this returns. */
    public static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
