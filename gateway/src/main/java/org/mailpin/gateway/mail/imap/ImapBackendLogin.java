package org.mailpin.gateway.mail.imap;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.mailpin.director.Backend;
import org.mailpin.director.IpAddresses;
import org.mailpin.gateway.mail.BackendConnector;
import org.mailpin.gateway.mail.LineReader;
import org.mailpin.gateway.mail.Protocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs a client in on its backend over a new plaintext connection, the way Dovecot 2.3's
 * imap-login proxy does ({@code src/imap-login/imap-proxy.c}).
 *
 * <p>After the greeting the proxy sends {@code I ID (...)} with the client's address, port and
 * connection id ({@code x-originating-ip}, {@code x-originating-port}, {@code x-connected-ip},
 * {@code x-connected-port}, {@code x-session-ext-id}). A Dovecot backend takes these only from
 * addresses in its {@code login_trusted_networks}, and then logs and limits by the client's
 * address instead of the proxy's. The login follows in the same write: {@code AUTHENTICATE PLAIN}
 * with an initial response when the backend offers AUTH=PLAIN and SASL-IR, else
 * {@code AUTHENTICATE PLAIN} with a continuation, else {@code LOGIN}. The credentials are
 * always encoded anew (base64, quoted strings or literals), never copied from the client's bytes,
 * so nothing the client sent can become a second command on the backend.
 */
final class ImapBackendLogin {

    private static final Logger log = LoggerFactory.getLogger(ImapBackendLogin.class);

    /**
     * Maximum length of a backend line during login. Dovecot 2.3's greeting with its capabilities
     * is a few hundred bytes.
     */
    static final int MAX_BACKEND_LINE = 64 * 1024;
    // Backend text in log lines is cut to this length.
    private static final int MAX_LOGGED_TEXT = 160;

    private final BackendConnector connector;
    private final Duration timeout;

    /**
     * @param timeout  how long to wait for the backend's greeting and for each reply during login
     */
    ImapBackendLogin(BackendConnector connector, Duration timeout) {
        this.connector = connector;
        this.timeout = timeout;
    }

    /**
     * The data of one login that the backend gets; {@code toString()} hides the password.
     *
     * @param user       the normalized username
     * @param password   the password bytes, free of CR, LF and NUL
     * @param client     the client's address and port
     * @param local      the proxy address and port the client connected to
     * @param sessionId  the connection id, which the backend logs as {@code session=<...>}
     * @param clientId   the client's own ID pairs that may be passed on
     */
    record Request(String user, byte[] password, InetSocketAddress client, InetSocketAddress local,
                   String sessionId, ImapClientId clientId) {

        @Override
        public String toString() {
            return "ImapBackendLogin.Request[user=" + user + ", session=" + sessionId + ", password hidden]";
        }
    }

    /** The outcome of a backend login. */
    sealed interface Result {
    }

    /**
     * The backend accepted the login.
     *
     * @param socket   the backend connection, ready for relaying
     * @param pending  bytes the backend sent after its tagged reply, which the client must get first
     * @param reply    the tagged reply without its tag, e.g. {@code OK [CAPABILITY ...] Logged in}
     */
    record LoggedIn(Socket socket, byte[] pending, String reply) implements Result {
    }

    /**
     * The backend rejected the login.
     *
     * @param reply  its tagged reply without the tag, e.g. {@code NO [AUTHENTICATIONFAILED] Authentication failed.}
     */
    record Rejected(String reply) implements Result {
    }

    /** The backend could not be reached or did not speak IMAP as expected; {@code reason} is for the log. */
    record Failed(String reason) implements Result {
    }

    /** Receives the backend's untagged lines during login, such as {@code * CAPABILITY}, for the client. */
    @FunctionalInterface
    interface UntaggedSink {
        void send(String line) throws IOException;
    }

    /** Connects to the backend and logs in; the backend connection is closed unless the result is {@link LoggedIn}. */
    Result login(Backend backend, Request request, UntaggedSink untagged) {
        Socket socket;
        try {
            socket = connector.connect(backend, Protocol.IMAP.backendPort(backend.ports()));
        } catch (IOException e) {
            return new Failed(e.getMessage());
        }
        boolean keep = false;
        try {
            socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
            Result result = converse(backend, socket, request, untagged);
            keep = result instanceof LoggedIn;
            return result;
        } catch (SocketTimeoutException e) {
            return new Failed("no reply within " + (timeout.toMillis() % 1000 == 0 ? timeout.toSeconds() + " s"
                    : timeout.toMillis() + " ms"));
        } catch (IOException e) {
            return new Failed(e.toString());
        } finally {
            if (!keep) {
                closeQuietly(socket);
            }
        }
    }

    private Result converse(Backend backend, Socket socket, Request request, UntaggedSink untagged)
            throws IOException {
        LineReader in = new LineReader(socket.getInputStream());
        OutputStream out = new BufferedOutputStream(socket.getOutputStream());

        String greeting = readLine(in);
        if (!greeting.startsWith("* OK")) {
            return new Failed("unexpected greeting: " + forLog(greeting));
        }
        Set<String> capabilities = capabilityCode(greeting);
        if (capabilities == null) {
            capabilities = askCapabilities(in, out);
        }

        List<byte[]> login = loginCommand(capabilities, request);
        if (login == null) {
            return new Failed("the backend advertises LOGINDISABLED and no AUTH=PLAIN; add the proxy's source "
                    + "address to its login_trusted_networks or allow plaintext logins there");
        }
        if (capabilities.contains("ID")) {
            out.write(idCommand(request));
        } else {
            log.debug("backend {} does not advertise ID, so it logs the proxy's address instead of the client's",
                    backend.id());
        }
        out.write(login.get(0));
        out.flush();

        int nextChunk = 1;
        while (true) {
            String line = readLine(in);
            if (line.startsWith("+")) {
                if (nextChunk >= login.size()) {
                    return new Failed("unexpected continuation request during login: " + forLog(line));
                }
                out.write(login.get(nextChunk++));
                out.flush();
            } else if (line.startsWith("L ")) {
                String reply = line.substring(2);
                if (reply.regionMatches(true, 0, "OK", 0, 2)) {
                    return new LoggedIn(socket, in.drain(), reply);
                }
                return new Rejected(reply);
            } else if (line.startsWith("I ")) {
                if (!line.regionMatches(true, 2, "OK", 0, 2)) {
                    log.warn("backend {} ({}) rejected the ID command, so it sees the proxy's address instead of "
                            + "the client's: {}", backend.id(), backend.address(), forLog(line));
                }
            } else if (line.startsWith("* ")) {
                if (!isUpper(line, "* BYE") && !isUpper(line, "* ID ")) {
                    untagged.send(line);
                }
            } else {
                log.debug("backend {} sent an unexpected line during login, ignored: {}", backend.id(), forLog(line));
            }
        }
    }

    // Asks for the capabilities when the greeting had no CAPABILITY response code.
    private static Set<String> askCapabilities(LineReader in, OutputStream out) throws IOException {
        out.write(ImapStrings.ascii("C CAPABILITY\r\n"));
        out.flush();
        Set<String> capabilities = Set.of();
        while (true) {
            String line = readLine(in);
            if (isUpper(line, "* CAPABILITY ")) {
                capabilities = words(line.substring("* CAPABILITY ".length()));
            } else if (line.startsWith("C ")) {
                return capabilities;
            }
        }
    }

    /** Returns the capabilities of the line's first {@code [CAPABILITY ...]} response code in upper case, or null. */
    static Set<String> capabilityCode(String line) {
        int open = line.indexOf('[');
        if (open < 0 || !line.regionMatches(true, open, "[CAPABILITY ", 0, 12)) {
            return null;
        }
        int close = line.indexOf(']', open);
        return close < 0 ? null : words(line.substring(open + 12, close));
    }

    private static Set<String> words(String text) {
        return Stream.of(text.strip().split(" +")).map(w -> w.toUpperCase(Locale.ROOT)).collect(Collectors.toSet());
    }

    /** Builds {@code I ID (...)}: the client's kept pairs, then the proxy's facts about the connection. */
    static byte[] idCommand(Request request) {
        StringBuilder id = new StringBuilder("I ID (");
        if (!request.clientId().forwarded().isEmpty()) {
            id.append(request.clientId().forwarded()).append(' ');
        }
        id.append("\"x-originating-ip\" ")
                .append(ImapStrings.quote(IpAddresses.format(request.client().getAddress())))
                .append(" \"x-originating-port\" \"").append(request.client().getPort()).append('"')
                .append(" \"x-connected-ip\" ")
                .append(ImapStrings.quote(IpAddresses.format(request.local().getAddress())))
                .append(" \"x-connected-port\" \"").append(request.local().getPort()).append('"')
                .append(" \"x-session-ext-id\" ").append(ImapStrings.quote(request.sessionId()))
                .append(")\r\n");
        return ImapStrings.ascii(id.toString());
    }

    /**
     * Builds the login command as chunks: the first is sent with the ID command, each further one
     * after a continuation request ({@code +}) from the backend. Returns null when the backend
     * accepts neither AUTHENTICATE PLAIN nor LOGIN.
     */
    static List<byte[]> loginCommand(Set<String> capabilities, Request request) {
        byte[] user = request.user().getBytes(StandardCharsets.UTF_8);
        if (capabilities.contains("AUTH=PLAIN")) {
            byte[] response = ImapStrings.ascii(
                    Base64.getEncoder().encodeToString(SaslPlain.encode(user, request.password())) + "\r\n");
            if (capabilities.contains("SASL-IR")) {
                return List.of(ImapStrings.concat(ImapStrings.ascii("L AUTHENTICATE PLAIN "), response));
            }
            return List.of(ImapStrings.ascii("L AUTHENTICATE PLAIN\r\n"), response);
        }
        if (capabilities.contains("LOGINDISABLED")) {
            return null;
        }
        boolean literalPlus = capabilities.contains("LITERAL+");
        List<byte[]> chunks = new ArrayList<>();
        ByteArrayOutputStream current = new ByteArrayOutputStream();
        current.writeBytes(ImapStrings.ascii("L LOGIN "));
        appendAstring(current, chunks, user, literalPlus);
        current.write(' ');
        appendAstring(current, chunks, request.password(), literalPlus);
        current.writeBytes(ImapStrings.ascii("\r\n"));
        chunks.add(current.toByteArray());
        return chunks;
    }

    // A quoted string for printable ASCII, else a literal. A synchronizing literal ends the
    // current chunk, because its bytes may follow only after the backend's "+".
    private static void appendAstring(ByteArrayOutputStream current, List<byte[]> chunks, byte[] value,
                                      boolean literalPlus) {
        if (ImapStrings.isQuotable(value)) {
            current.writeBytes(ImapStrings.ascii(ImapStrings.quote(new String(value, StandardCharsets.US_ASCII))));
        } else if (literalPlus) {
            current.writeBytes(ImapStrings.ascii("{" + value.length + "+}\r\n"));
            current.writeBytes(value);
        } else {
            current.writeBytes(ImapStrings.ascii("{" + value.length + "}\r\n"));
            chunks.add(current.toByteArray());
            current.reset();
            current.writeBytes(value);
        }
    }

    private static String readLine(LineReader in) throws IOException {
        byte[] line = in.readLine(MAX_BACKEND_LINE);
        if (line == null) {
            throw new EOFException("the backend closed the connection during login");
        }
        return new String(line, StandardCharsets.UTF_8);
    }

    private static boolean isUpper(String line, String prefix) {
        return line.regionMatches(true, 0, prefix, 0, prefix.length());
    }

    /** Cuts backend text for a log line. */
    static String forLog(String text) {
        return text.length() <= MAX_LOGGED_TEXT ? text : text.substring(0, MAX_LOGGED_TEXT) + "...";
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // The login failed already; nothing more to report.
        }
    }
}
