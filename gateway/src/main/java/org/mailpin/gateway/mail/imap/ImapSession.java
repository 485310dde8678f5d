package org.mailpin.gateway.mail.imap;

import java.io.Closeable;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

import org.mailpin.director.Assignment;
import org.mailpin.director.Backend;
import org.mailpin.director.IpAddresses;
import org.mailpin.director.NoBackendAvailableException;
import org.mailpin.gateway.mail.ClientConnection;
import org.mailpin.gateway.mail.LineTooLongException;
import org.mailpin.gateway.mail.LiveConnections;
import org.mailpin.gateway.mail.MailSession;
import org.mailpin.gateway.mail.MalformedLineException;
import org.mailpin.gateway.mail.Protocol;
import org.mailpin.gateway.mail.ProxyContext;
import org.mailpin.gateway.mail.Relay;
import org.mailpin.gateway.metrics.LoginResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One IMAP client connection: the proxy handles the commands of the not-authenticated state
 * itself (RFC 3501), and after a successful login on the user's backend relays bytes both ways.
 *
 * <p>Design note. Before login the proxy runs CAPABILITY, NOOP, LOGOUT, ID, STARTTLS, LOGIN and
 * AUTHENTICATE PLAIN; everything else is a bad command. Each bad command and each failed login
 * counts towards {@code max-bad-commands}, so one connection cannot try passwords without end.
 * The whole pre-login phase, from connect to login, must end within {@code prelogin-timeout}. No
 * client byte reaches a backend before login. The proxy parses LOGIN and AUTHENTICATE itself and
 * sends the backend credentials that it encoded again. Only after the backend's tagged OK does it
 * hand the client's unread bytes to the relay. Passwords, LOGIN arguments and AUTHENTICATE data
 * are never logged.
 */
public final class ImapSession implements MailSession {

    private static final Logger log = LoggerFactory.getLogger(ImapSession.class);

    static final String UNAVAILABLE = "NO [UNAVAILABLE] Backend unavailable, try again later.";
    static final String NO_BACKEND = "NO [UNAVAILABLE] No mail server is available for this user, try again later.";
    // How long stop() waits for a reply that is being written before it closes without a BYE.
    private static final long STOP_WRITE_WAIT_MILLIS = 1000;

    private final ProxyContext context;
    private final ImapBackendLogin backendLogin;
    private final ReentrantLock writeLock = new ReentrantLock();
    private volatile ClientConnection client;
    private volatile boolean stopping;
    private volatile Closeable proxied;
    private long deadlineNanos;
    private int badCommands;
    private ImapClientId clientId = ImapClientId.NONE;

    ImapSession(ProxyContext context, ImapBackendLogin backendLogin) {
        this.context = context;
        this.backendLogin = backendLogin;
    }

    /**
     * Adds the IMAP and IMAPS session factories to the map of protocol sessions.
     */
    public static void register(Map<Protocol, Supplier<MailSession>> sessions, ProxyContext context) {
        boolean listens = context.settings().listeners().stream()
                .anyMatch(l -> l.protocol() == Protocol.IMAP || l.protocol() == Protocol.IMAPS);
        if (listens && context.settings().masterUser() != null) {
            log.warn("mail.master-user is ignored for IMAP: the proxy cannot check the client's password, and a "
                    + "master login would let any client in as any user. IMAP logins use the client's own credentials.");
        }
        ImapBackendLogin login = new ImapBackendLogin(context.connector(), ProxyContext.BACKEND_TIMEOUT);
        sessions.put(Protocol.IMAP, () -> new ImapSession(context, login));
        sessions.put(Protocol.IMAPS, () -> new ImapSession(context, login));
    }

    private enum Step { CONTINUE, CLOSE }

    @Override
    public void run(ClientConnection connection) throws Exception {
        this.client = connection;
        deadlineNanos = System.nanoTime() + context.settings().preloginTimeout().toNanos();
        try {
            if (stopping) {
                send("* BYE Server shutting down.");
                return;
            }
            armReadTimeout();
            send("* OK [CAPABILITY " + capabilities() + "] Mailpin ready.");
            while (handleNext() == Step.CONTINUE) {
                // One command per iteration.
            }
        } catch (SocketTimeoutException e) {
            sendQuietly("* BYE Disconnected for inactivity.");
            log.debug("no login within the pre-login timeout of {}", context.settings().preloginTimeout());
        } catch (LineTooLongException e) {
            sendQuietly("* BYE Command longer than " + context.settings().maxLine() + " bytes, disconnecting.");
            log.debug("client sent a command above {} bytes", context.settings().maxLine());
        } catch (IOException e) {
            if (!stopping) {
                throw e;
            }
        }
    }

    /**
     * Ends the session because the server stops. Before login the client gets {@code * BYE};
     * a relayed connection is closed on both sides, as a BYE could land inside a response.
     */
    @Override
    public void stop() {
        stopping = true;
        Closeable relayed = proxied;
        if (relayed != null) {
            closeQuietly(relayed);
            return;
        }
        ClientConnection connection = client;
        if (connection == null) {
            return;
        }
        try {
            if (writeLock.tryLock(STOP_WRITE_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
                try {
                    connection.writeLine("* BYE Server shutting down.");
                } catch (IOException e) {
                    // The connection is closed next either way.
                } finally {
                    writeLock.unlock();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        connection.close();
    }

    private Step handleNext() throws Exception {
        ImapCommand command;
        try {
            armReadTimeout();
            command = new ImapCommandReader(client.reader(), context.settings().maxLine(),
                    () -> send("+ OK")).read();
        } catch (MalformedLineException e) {
            return bad("*", "Lines must end with CRLF; a bare CR or LF is not allowed.");
        } catch (ImapSyntaxException e) {
            return bad(e.replyTag(), e.getMessage());
        }
        if (command == null || stopping) {
            return Step.CLOSE;
        }
        String tag = command.tag();
        List<ImapArg> args = command.args();
        return switch (command.name()) {
            case "CAPABILITY" -> capability(tag, args);
            case "NOOP" -> args.isEmpty() ? ok(tag, "NOOP completed.") : bad(tag, "NOOP takes no arguments.");
            case "LOGOUT" -> logout(tag, args);
            case "ID" -> id(tag, args);
            case "STARTTLS" -> startTls(tag, args);
            case "LOGIN" -> login(tag, args);
            case "AUTHENTICATE" -> authenticate(tag, args);
            default -> unknown(tag, command.name());
        };
    }

    // --- Commands that the proxy handles itself ---------------------------------------------

    private Step capability(String tag, List<ImapArg> args) throws IOException {
        if (!args.isEmpty()) {
            return bad(tag, "CAPABILITY takes no arguments.");
        }
        send("* CAPABILITY " + capabilities());
        return ok(tag, "Pre-login capabilities listed, post-login capabilities have more.");
    }

    /** Returns what the proxy itself implements before login; the backend's list follows the login. */
    private String capabilities() {
        StringBuilder capabilities = new StringBuilder("IMAP4rev1 SASL-IR LITERAL+ ID");
        if (context.tls() != null && !client.isTls()) {
            capabilities.append(" STARTTLS");
        }
        capabilities.append(plaintextLoginBlocked() ? " LOGINDISABLED" : " AUTH=PLAIN");
        return capabilities.toString();
    }

    private boolean plaintextLoginBlocked() {
        return context.settings().requireTls() && !client.isTls();
    }

    private Step logout(String tag, List<ImapArg> args) throws IOException {
        if (!args.isEmpty()) {
            return bad(tag, "LOGOUT takes no arguments.");
        }
        send("* BYE Logging out");
        send(tag + " OK Logout completed.");
        return Step.CLOSE;
    }

    private Step id(String tag, List<ImapArg> args) throws IOException {
        try {
            clientId = ImapClientId.parse(args);
        } catch (IllegalArgumentException e) {
            return bad(tag, e.getMessage());
        }
        send("* ID (\"name\" \"Mailpin\")");
        return ok(tag, "ID completed.");
    }

    private Step startTls(String tag, List<ImapArg> args) throws IOException {
        if (!args.isEmpty()) {
            return bad(tag, "STARTTLS takes no arguments.");
        }
        if (client.isTls()) {
            send(tag + " BAD TLS is already active.");
            return Step.CONTINUE;
        }
        if (context.tls() == null) {
            send(tag + " BAD STARTTLS is not available: no TLS certificate is configured.");
            return Step.CONTINUE;
        }
        // Held during the handshake, so stop() cannot write a plaintext BYE into it.
        writeLock.lock();
        try {
            client.writeLine(tag + " OK Begin TLS negotiation now.");
            armReadTimeout();
            int dropped = client.startTls(context.tls());
            if (dropped > 0) {
                log.debug("dropped {} bytes sent after STARTTLS before the TLS handshake", dropped);
            }
        } finally {
            writeLock.unlock();
        }
        return Step.CONTINUE;
    }

    private Step unknown(String tag, String name) throws IOException {
        if (tag.equalsIgnoreCase("LOGIN") || tag.equalsIgnoreCase("AUTHENTICATE")) {
            return bad(tag, "The first word of a command is its tag; send e.g. 'a "
                    + tag.toUpperCase(Locale.ROOT) + " ...'.");
        }
        String truncatedName = name.length() > 40 ? name.substring(0, 40) + "..." : name;
        return bad(tag, "Command " + truncatedName + " is unknown or not allowed before login.");
    }

    // --- LOGIN and AUTHENTICATE ---------------------------------------------------------------

    private Step login(String tag, List<ImapArg> args) throws Exception {
        if (plaintextLoginBlocked()) {
            countLogin(LoginResult.REJECTED);
            send(tag + " NO [PRIVACYREQUIRED] Plaintext logins are disabled, use STARTTLS first.");
            return countBad();
        }
        if (args.size() != 2 || args.get(0) instanceof ImapArg.ParenList
                || args.get(1) instanceof ImapArg.ParenList) {
            return bad(tag, "LOGIN expects a username and a password.");
        }
        return loginOnBackend(tag, ImapArg.astring(args.get(0)), ImapArg.astring(args.get(1)));
    }

    private Step authenticate(String tag, List<ImapArg> args) throws Exception {
        if (args.isEmpty() || args.size() > 2 || !(args.get(0) instanceof ImapArg.Atom mechanism)
                || (args.size() == 2 && !(args.get(1) instanceof ImapArg.Atom))) {
            return bad(tag, "AUTHENTICATE expects a mechanism name and an optional initial response.");
        }
        if (plaintextLoginBlocked()) {
            countLogin(LoginResult.REJECTED);
            send(tag + " NO [PRIVACYREQUIRED] Plaintext logins are disabled, use STARTTLS first.");
            return countBad();
        }
        if (!mechanism.text().equalsIgnoreCase("PLAIN")) {
            send(tag + " NO Unsupported authentication mechanism; this server offers PLAIN.");
            return countBad();
        }

        String encoded;
        if (args.size() == 2) {
            // RFC 4959: "=" is an empty initial response.
            String initial = ((ImapArg.Atom) args.get(1)).text();
            encoded = initial.equals("=") ? "" : initial;
        } else {
            send("+ ");
            armReadTimeout();
            byte[] line;
            try {
                line = client.reader().readLine(context.settings().maxLine());
            } catch (MalformedLineException e) {
                return bad(tag, "Lines must end with CRLF; a bare CR or LF is not allowed.");
            }
            if (line == null) {
                return Step.CLOSE;
            }
            encoded = new String(line, StandardCharsets.US_ASCII);
            if (encoded.equals("*")) {
                // RFC 3501 requires a tagged BAD for an exchange that the client cancelled.
                send(tag + " BAD Authentication aborted by client.");
                return Step.CONTINUE;
            }
        }

        SaslPlain.Message message;
        try {
            message = SaslPlain.decode(Base64.getDecoder().decode(encoded));
        } catch (IllegalArgumentException e) {
            countLogin(LoginResult.REJECTED);
            return bad(tag, "Invalid PLAIN response; expected base64 of [authzid] NUL username NUL password.");
        }
        if (message.actsAsOtherUser()) {
            countLogin(LoginResult.REJECTED);
            send(tag + " NO [CANNOT] Logging in as another user (a PLAIN authorization identity) is not supported.");
            return countFailedLogin();
        }
        return loginOnBackend(tag, message.authcid(), message.password());
    }

    private Step loginOnBackend(String tag, byte[] typedUser, byte[] password) throws Exception {
        if (ImapStrings.hasLineBreakOrNul(typedUser) || ImapStrings.hasLineBreakOrNul(password)) {
            countLogin(LoginResult.REJECTED);
            return bad(tag, "The username or password contains CR, LF or NUL.");
        }
        String user;
        try {
            user = context.director().normalizer().normalize(strictUtf8(typedUser));
        } catch (IllegalArgumentException | CharacterCodingException e) {
            log.debug("rejected a username: {}", e.getMessage());
            countLogin(LoginResult.REJECTED);
            return bad(tag, "Invalid username.");
        }

        long start = System.nanoTime();
        Backend backend;
        try {
            Assignment assignment = context.director().assign(user);
            backend = context.director().backend(assignment.backendId()).orElse(null);
            if (backend == null) {
                log.warn("imap login user={}: the director assigned unknown backend {}", user, assignment.backendId());
                countLogin(LoginResult.DIRECTOR_ERROR);
                send(tag + " " + UNAVAILABLE);
                return Step.CONTINUE;
            }
        } catch (NoBackendAvailableException e) {
            log.warn("imap login user={}: {}", user, e.getMessage());
            countLogin(LoginResult.NO_BACKEND);
            send(tag + " " + NO_BACKEND);
            return Step.CONTINUE;
        } catch (RuntimeException e) {
            log.warn("imap login user={}: the director failed to assign a backend: {}", user, e.toString());
            countLogin(LoginResult.DIRECTOR_ERROR);
            send(tag + " " + UNAVAILABLE);
            return Step.CONTINUE;
        }

        ImapBackendLogin.Request request = new ImapBackendLogin.Request(user, password, client.remote(),
                client.local(), client.id(), clientId);
        ImapBackendLogin.Result result = backendLogin.login(backend, request, this::send);
        return switch (result) {
            case ImapBackendLogin.LoggedIn loggedIn -> {
                context.metrics().recordBackendLogin(client.protocol(), LoginResult.OK, start);
                yield proxy(tag, user, backend, loggedIn);
            }
            case ImapBackendLogin.Rejected rejected -> {
                context.metrics().recordBackendLogin(client.protocol(), LoginResult.AUTH_FAILED, start);
                log.info("imap login rejected user={} backend={} client={}: {}", user, backend.id(), clientIp(),
                        ImapBackendLogin.forLog(rejected.reply()));
                send(tag + " " + rejected.reply());
                yield countFailedLogin();
            }
            case ImapBackendLogin.Failed failed -> {
                context.metrics().recordBackendLogin(client.protocol(), LoginResult.BACKEND_UNAVAILABLE, start);
                log.warn("imap login user={} backend={} ({}) failed: {}", user, backend.id(), backend.address(),
                        failed.reason());
                send(tag + " " + UNAVAILABLE);
                yield Step.CONTINUE;
            }
        };
    }

    // --- After login ----------------------------------------------------------------------------

    private Step proxy(String tag, String user, Backend backend, ImapBackendLogin.LoggedIn loggedIn)
            throws Exception {
        Socket backendSocket = loggedIn.socket();
        Closeable both = () -> {
            closeQuietly(client.socket());
            closeQuietly(backendSocket);
        };
        proxied = both;
        boolean relayed = false;
        try {
            if (stopping) {
                return Step.CLOSE;
            }
            // Registered before the client sees OK, so a kick right after the login finds the connection.
            LiveConnections.Entry entry = new LiveConnections.Entry(client.id(), user, client.protocol(), backend.id(),
                    clientIp(), Instant.now(), both);
            AutoCloseable registration = context.live().register(entry);
            try {
                MDC.put("user", user);
                log.info("imap login user={} backend={} ({}) client={}", user, backend.id(), backend.address(),
                        clientIp());
                send(tag + " " + loggedIn.reply());
                if (loggedIn.pending().length > 0) {
                    client.write(loggedIn.pending());
                }
                relayed = true;
                Relay.Traffic traffic = context.relay().run(client.protocol(), client.socket(), backendSocket,
                        client.reader().drain());
                log.debug("imap connection ended: {} bytes from the client, {} bytes from the backend",
                        traffic.clientToBackend(), traffic.backendToClient());
            } finally {
                registration.close();
            }
            return Step.CLOSE;
        } finally {
            if (!relayed) {
                closeQuietly(backendSocket);
            }
        }
    }

    // --- Replies and limits -------------------------------------------------------------------

    private Step ok(String tag, String text) throws IOException {
        send(tag + " OK " + text);
        return Step.CONTINUE;
    }

    /** Replies BAD to a bad command, or BYE and close once there were more than max-bad-commands. */
    private Step bad(String tag, String text) throws IOException {
        badCommands++;
        if (badCommands > context.settings().maxBadCommands()) {
            send("* BYE Too many invalid commands.");
            log.debug("closing after {} bad commands", badCommands);
            return Step.CLOSE;
        }
        send(tag + " BAD " + text);
        log.debug("bad command: {}", text);
        return Step.CONTINUE;
    }

    // For a command that already got its NO reply.
    private Step countBad() throws IOException {
        badCommands++;
        if (badCommands > context.settings().maxBadCommands()) {
            send("* BYE Too many invalid commands.");
            return Step.CLOSE;
        }
        return Step.CONTINUE;
    }

    private Step countFailedLogin() throws IOException {
        badCommands++;
        if (badCommands > context.settings().maxBadCommands()) {
            send("* BYE Too many failed logins.");
            return Step.CLOSE;
        }
        return Step.CONTINUE;
    }

    // For logins that ended before a backend was asked.
    private void countLogin(LoginResult result) {
        context.metrics().recordLogin(client.protocol(), result);
    }

    private void send(String line) throws IOException {
        writeLock.lock();
        try {
            client.writeLine(line);
        } finally {
            writeLock.unlock();
        }
    }

    private void sendQuietly(String line) {
        try {
            send(line);
        } catch (IOException e) {
            // The connection is closing either way.
        }
    }

    // Reads may take only what is left of the pre-login timeout.
    private void armReadTimeout() throws IOException {
        long remaining = deadlineNanos - System.nanoTime();
        if (remaining <= 0) {
            throw new SocketTimeoutException("pre-login timeout");
        }
        client.setReadTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1, TimeUnit.NANOSECONDS.toMillis(remaining))));
    }

    private String clientIp() {
        return IpAddresses.format(client.remote().getAddress());
    }

    private static String strictUtf8(byte[] bytes) throws CharacterCodingException {
        return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
    }

    private static void closeQuietly(Closeable closeable) {
        try {
            closeable.close();
        } catch (IOException e) {
            // Closing is best effort here.
        }
    }
}
