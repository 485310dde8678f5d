package org.mailpin.gateway.mail.lmtp;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

import org.mailpin.director.Backend;
import org.mailpin.gateway.mail.BackendConnector;
import org.mailpin.gateway.mail.LineReader;
import org.mailpin.gateway.mail.lmtp.LmtpCommand.Parameter;
import org.mailpin.gateway.mail.lmtp.LmtpCommand.PathArgument;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One LMTP connection from the proxy to a backend, for one client transaction. Opening it reads
 * the greeting and sends LHLO. When the backend offers XCLIENT, it then sends the MTA's address,
 * so that the backend logs the MTA rather than the proxy, and LHLO again, because XCLIENT resets
 * the session.
 * Used by the session's thread, except that a {@link DataFanOut} writer thread writes the DATA
 * section through {@link #dataOutput()}.
 */
final class BackendConnection implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(BackendConnection.class);

    /** Longest XCLIENT HELO value sent; a longer LHLO name is left out so the command stays short. */
    private static final int MAX_XCLIENT_HELO = 255;

    private final Backend backend;
    private final int port;
    private final Socket socket;
    private final LineReader in;
    private final OutputStream out;
    private Set<String> extensions = Set.of();
    private Set<String> xclientFields = Set.of();

    private BackendConnection(Backend backend, int port, Socket socket) throws IOException {
        this.backend = backend;
        this.port = port;
        this.socket = socket;
        this.in = new LineReader(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /**
     * The client's side of the connection, sent to the backend with XCLIENT.
     *
     * @param address  the MTA's IP address as {@code inet_ntop(3)} prints it
     * @param helo     the name the MTA gave in LHLO, or null
     * @param session  an id that the backend logs for this transaction
     */
    record ClientIdentity(String address, int port, String helo, String session) {
    }

    /**
     * Connects and completes the handshake.
     *
     * @throws IOException when the backend cannot be reached, sends no reply within
     *                     {@code timeout}, greets with a code other than 220 or rejects LHLO;
     *                     the connection is then closed
     */
    static BackendConnection open(BackendConnector connector, Backend backend, int port, String hostname,
                                  ClientIdentity client, Duration timeout) throws IOException {
        Socket socket = connector.connect(backend, port);
        BackendConnection connection;
        try {
            socket.setSoTimeout((int) timeout.toMillis());
            connection = new BackendConnection(backend, port, socket);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
        try {
            connection.handshake(hostname, client);
            return connection;
        } catch (IOException e) {
            connection.abort();
            throw e;
        }
    }

    private void handshake(String hostname, ClientIdentity client) throws IOException {
        LmtpReply greeting = LmtpReply.read(in);
        if (greeting.code() != 220) {
            throw new IOException("backend greeted with " + greeting.summary());
        }
        lhlo(hostname);
        String xclient = xclientCommand(client);
        if (xclient == null) {
            return;
        }
        LmtpReply reply = command(xclient);
        if (reply.code() == 220) {
            lhlo(hostname);
        } else if (reply.code() == 421) {
            throw new IOException("backend replied to XCLIENT with " + reply.summary());
        } else {
            log.warn("backend {} rejected XCLIENT with {}; its logs show the proxy's address instead of the MTA's."
                    + " Check that its login_trusted_networks contains the proxy's address", describe(), reply.summary());
        }
    }

    private void lhlo(String hostname) throws IOException {
        LmtpReply reply = command("LHLO " + hostname);
        if (reply.code() != 250) {
            throw new IOException("backend replied to LHLO with " + reply.summary());
        }
        Set<String> keywords = new HashSet<>();
        Set<String> fields = Set.of();
        for (String line : reply.capabilities()) {
            String[] words = line.strip().split(" +");
            String keyword = words[0].toUpperCase(Locale.ROOT);
            keywords.add(keyword);
            if (keyword.equals("XCLIENT")) {
                fields = new HashSet<>();
                for (int i = 1; i < words.length; i++) {
                    fields.add(words[i].toUpperCase(Locale.ROOT));
                }
            }
        }
        extensions = keywords;
        xclientFields = fields;
    }

    // XCLIENT ADDR PORT HELO SESSION, each only if the backend lists it (Postfix's XCLIENT_README;
    // Dovecot 2.3 lists "ADDR PORT PROTO HELO LOGIN SESSION TTL TIMEOUT" to trusted peers). ADDR is
    // sent without the "IPV6:" prefix, as Dovecot's own LMTP proxy does for LMTP.
    private String xclientCommand(ClientIdentity client) {
        if (client == null || !extensions.contains("XCLIENT")) {
            return null;
        }
        StringBuilder command = new StringBuilder("XCLIENT");
        if (client.helo() != null && client.helo().length() <= MAX_XCLIENT_HELO) {
            appendField(command, "HELO", client.helo());
        }
        appendField(command, "SESSION", client.session());
        appendField(command, "PORT", Integer.toString(client.port()));
        appendField(command, "ADDR", client.address());
        return command.length() == "XCLIENT".length() ? null : command.toString();
    }

    private void appendField(StringBuilder command, String name, String value) {
        if (xclientFields.contains(name)) {
            command.append(' ').append(name).append('=').append(xtext(value));
        }
    }

    /** Encodes a value as xtext (RFC 3461 section 4): '+', '=' and bytes outside 33..126 become {@code +HH}. */
    static String xtext(String value) {
        StringBuilder out = new StringBuilder();
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c >= 33 && c <= 126 && c != '+' && c != '=') {
                out.append((char) c);
            } else {
                out.append('+').append(String.format("%02X", c));
            }
        }
        return out.toString();
    }

    /**
     * Returns the MAIL FROM command for this backend. SIZE and BODY are passed on only when the
     * backend offers SIZE and 8BITMIME, because Dovecot 2.3's LMTP offers no SIZE and rejects an
     * unsupported parameter with 555. Leaving them out is safe: both only describe the message.
     */
    String mailCommand(PathArgument from) {
        StringBuilder command = new StringBuilder("MAIL FROM:").append(from.path().text());
        for (Parameter parameter : from.parameters()) {
            boolean supported = switch (parameter.keyword()) {
                case "SIZE" -> extensions.contains("SIZE");
                case "BODY" -> extensions.contains("8BITMIME");
                default -> false;
            };
            if (supported) {
                command.append(' ').append(parameter.text());
            }
        }
        return command.toString();
    }

    /** Sends a command line and reads its reply. */
    LmtpReply command(String line) throws IOException {
        send(line);
        return read();
    }

    void send(String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    LmtpReply read() throws IOException {
        return LmtpReply.read(in);
    }

    void setReplyTimeout(Duration timeout) throws IOException {
        socket.setSoTimeout((int) timeout.toMillis());
    }

    /** Returns the raw socket output, for relaying the DATA section. */
    OutputStream dataOutput() {
        return out;
    }

    Backend backend() {
        return backend;
    }

    /** Returns e.g. {@code be2 (127.0.0.12:24)} for logs. */
    String describe() {
        return backend.id() + " (" + backend.address() + ":" + port + ")";
    }

    /**
     * Sends QUIT without waiting for the reply, then closes the socket. Only for a connection in
     * a clean state: after a failure use {@link #abort()}, because a backend that stopped reading
     * could block the write.
     */
    @Override
    public void close() {
        if (!socket.isClosed()) {
            try {
                out.write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            } catch (IOException e) {
                // The connection is going away either way.
            }
        }
        abort();
    }

    /** Closes the socket at once: the backend then discards an unfinished DATA section. */
    void abort() {
        try {
            socket.close();
        } catch (IOException e) {
            // Already closing.
        }
    }
}
