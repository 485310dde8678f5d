package org.mailpin.gateway.mail.imap;

import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.mailpin.gateway.mail.LineReader;

/**
 * A scripted IMAP backend on 127.0.0.1 for unit tests: it greets with the configured
 * capabilities, replies to ID, LOGIN, AUTHENTICATE PLAIN, CAPABILITY, NOOP and LOGOUT, and records
 * every byte it receives per connection.
 */
final class FakeImapBackend implements AutoCloseable {

    static final String DOVECOT_CAPABILITIES = "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN";
    static final String LOGGED_IN = "OK [CAPABILITY IMAP4rev1 IDLE] Logged in";

    /** One accepted connection. */
    static final class Connection {
        private final ByteArrayOutputStream received = new ByteArrayOutputStream();
        final CountDownLatch closed = new CountDownLatch(1);
        volatile List<ImapArg> idArgs;
        volatile byte[] user;
        volatile byte[] password;

        /** Returns every byte received so far, as UTF-8 text. */
        String received() {
            synchronized (received) {
                return received.toString(StandardCharsets.UTF_8);
            }
        }

        boolean awaitClose() throws InterruptedException {
            return closed.await(5, TimeUnit.SECONDS);
        }
    }

    private final ServerSocket server;
    private final Map<String, byte[]> passwords = new ConcurrentHashMap<>();
    final List<Connection> connections = new CopyOnWriteArrayList<>();
    volatile String capabilities = DOVECOT_CAPABILITIES;
    volatile boolean capabilityInGreeting = true;
    volatile boolean silent;
    volatile String loginFailure = "NO [AUTHENTICATIONFAILED] Authentication failed.";
    volatile String loginSuccess = LOGGED_IN;

    FakeImapBackend() throws IOException {
        server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        Thread.ofVirtual().name("fake-backend-accept").start(this::accept);
    }

    int port() {
        return server.getLocalPort();
    }

    void addUser(String user, byte[] password) {
        passwords.put(user, password);
    }

    void addUser(String user, String password) {
        addUser(user, password.getBytes(StandardCharsets.UTF_8));
    }

    Connection lastConnection() {
        return connections.get(connections.size() - 1);
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                Connection connection = new Connection();
                connections.add(connection);
                Thread.ofVirtual().name("fake-backend").start(() -> serve(socket, connection));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket, Connection connection) {
        try (socket) {
            InputStream in = new Recording(socket.getInputStream(), connection);
            OutputStream out = socket.getOutputStream();
            if (silent) {
                while (in.read() >= 0) {
                    // Never greets; reads until the proxy gives up.
                }
                return;
            }
            write(out, capabilityInGreeting ? "* OK [CAPABILITY " + capabilities + "] Fake ready." : "* OK Fake ready.");
            LineReader lines = new LineReader(in);
            ImapCommandReader commands = new ImapCommandReader(lines, 65536, () -> write(out, "+ OK"));
            while (true) {
                ImapCommand command = commands.read();
                if (command == null || !answer(command, lines, out, connection)) {
                    return;
                }
            }
        } catch (IOException | ImapSyntaxException e) {
            // The proxy closed the connection or sent something this fake does not parse.
        } finally {
            connection.closed.countDown();
        }
    }

    private boolean answer(ImapCommand command, LineReader lines, OutputStream out, Connection connection)
            throws IOException {
        String tag = command.tag();
        switch (command.name()) {
            case "CAPABILITY" -> {
                write(out, "* CAPABILITY " + capabilities);
                write(out, tag + " OK Capability completed.");
            }
            case "ID" -> {
                connection.idArgs = command.args();
                write(out, "* ID NIL");
                write(out, tag + " OK ID completed.");
            }
            case "LOGIN" -> login(tag, ImapArg.astring(command.args().get(0)), ImapArg.astring(command.args().get(1)),
                    out, connection);
            case "AUTHENTICATE" -> {
                String encoded;
                if (command.args().size() == 2) {
                    encoded = ((ImapArg.Atom) command.args().get(1)).text();
                } else {
                    write(out, "+ ");
                    encoded = new String(lines.readLine(65536), StandardCharsets.US_ASCII);
                }
                SaslPlain.Message message = SaslPlain.decode(Base64.getDecoder().decode(encoded));
                login(tag, message.authcid(), message.password(), out, connection);
            }
            case "NOOP" -> write(out, tag + " OK NOOP completed.");
            case "LOGOUT" -> {
                write(out, "* BYE Logging out");
                write(out, tag + " OK Logout completed.");
                return false;
            }
            default -> write(out, tag + " BAD Unknown command.");
        }
        return true;
    }

    private void login(String tag, byte[] user, byte[] password, OutputStream out, Connection connection)
            throws IOException {
        connection.user = user;
        connection.password = password;
        byte[] expected = passwords.get(new String(user, StandardCharsets.UTF_8));
        if (expected != null && Arrays.equals(expected, password)) {
            write(out, tag + " " + loginSuccess);
        } else {
            write(out, tag + " " + loginFailure);
        }
    }

    private static void write(OutputStream out, String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    @Override
    public void close() throws IOException {
        server.close();
    }

    // Copies every byte read into the connection's transcript.
    private static final class Recording extends FilterInputStream {
        private final Connection connection;

        Recording(InputStream in, Connection connection) {
            super(in);
            this.connection = connection;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = super.read(buffer, offset, length);
            if (n > 0) {
                synchronized (connection.received) {
                    connection.received.write(buffer, offset, n);
                }
            }
            return n;
        }
    }
}
