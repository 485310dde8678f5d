package org.mailpin.gateway.mail.pop3;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

import org.mailpin.gateway.mail.BackendLogin;
import org.mailpin.gateway.mail.ClientConnection;
import org.mailpin.gateway.mail.LineTooLongException;
import org.mailpin.gateway.mail.MailSession;
import org.mailpin.gateway.mail.MalformedLineException;
import org.mailpin.gateway.mail.PreloginLimits;
import org.mailpin.gateway.mail.Protocol;
import org.mailpin.gateway.mail.ProxyContext;
import org.mailpin.gateway.mail.sasl.Credentials;
import org.mailpin.gateway.mail.sasl.MalformedCredentialsException;
import org.mailpin.gateway.mail.sasl.SaslCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One POP3 client connection. The proxy runs the authorization state itself (RFC 1939 USER, PASS
 * and QUIT, RFC 2449 CAPA, RFC 5034 AUTH PLAIN, RFC 2595 STLS) and logs in on the backend the
 * director picks. It relays the backend's reply verbatim, and after a successful login relays
 * bytes until either side closes.
 *
 * <p>Every rejected command counts toward {@code mail.max-bad-commands}, failed logins included,
 * so one connection cannot try passwords without end. Past the limit the proxy sends
 * {@code -ERR Too many bad commands.} after the rejection and closes.
 */
public final class Pop3Session implements MailSession {

    static final String GREETING = "+OK Mailpin ready.";
    static final String TEMPORARY_FAILURE = "-ERR [SYS/TEMP] Account is temporarily unavailable.";
    static final String PLAINTEXT_DISALLOWED =
            "-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections.";

    private static final Logger log = LoggerFactory.getLogger(Pop3Session.class);

    private final ProxyContext context;
    private final BackendLogin backendLogin;

    private volatile ClientConnection client;
    private volatile boolean stopping;
    /** The backend connection of the latest login attempt, closed by {@link #stop()}. */
    private volatile BackendLogin.Target openTarget;
    private PreloginLimits limits;
    private String pendingUser;

    Pop3Session(ProxyContext context) {
        this.context = context;
        this.backendLogin = new BackendLogin(context);
    }

    /** Adds the POP3 and POP3S session factories to the map of protocol sessions. */
    public static void register(Map<Protocol, Supplier<MailSession>> sessions, ProxyContext context) {
        BackendLogin.warnIfMasterUserSet(context, "POP3", Protocol.POP3, Protocol.POP3S);
        sessions.put(Protocol.POP3, () -> new Pop3Session(context));
        sessions.put(Protocol.POP3S, () -> new Pop3Session(context));
    }

    @Override
    public void run(ClientConnection connection) throws IOException, InterruptedException {
        this.client = connection;
        if (stopping) {
            return;
        }
        this.limits = new PreloginLimits(context.settings());
        client.writeLine(GREETING);
        boolean open = true;
        while (open) {
            String line = readClientLine();
            open = line != null && execute(line);
        }
    }

    /**
     * Closes the client connection, and a backend connection still in its login, because the
     * gateway stops. A relayed connection ends with them.
     */
    @Override
    public void stop() {
        stopping = true;
        BackendLogin.Target target = openTarget;
        if (target != null) {
            target.close();
        }
        ClientConnection connection = client;
        if (connection != null) {
            connection.close();
        }
    }

    /** Runs one command; returns false when the connection ends. */
    private boolean execute(String line) throws IOException, InterruptedException {
        int space = line.indexOf(' ');
        String verb = (space < 0 ? line : line.substring(0, space)).toUpperCase(Locale.ROOT);
        String argument = space < 0 ? "" : line.substring(space + 1);
        return switch (verb) {
            case "CAPA" -> capa();
            case "STLS" -> stls(argument);
            case "USER" -> user(argument);
            case "PASS" -> pass(argument);
            case "AUTH" -> auth(argument);
            case "QUIT" -> {
                client.writeLine("+OK Logging out.");
                yield false;
            }
            default -> reject("-ERR Unknown command.");
        };
    }

    private boolean capa() throws IOException {
        client.writeLine("+OK Capability list follows");
        if (plaintextAllowed()) {
            client.writeLine("USER");
            client.writeLine("SASL PLAIN");
        }
        if (stlsAvailable()) {
            client.writeLine("STLS");
        }
        // The proxy and Dovecot send [AUTH] and [SYS/TEMP] codes (RFC 2449, RFC 3206).
        client.writeLine("RESP-CODES");
        client.writeLine("AUTH-RESP-CODE");
        client.writeLine(".");
        return true;
    }

    private boolean stls(String argument) throws IOException {
        if (!argument.isEmpty()) {
            return reject("-ERR STLS takes no arguments.");
        }
        if (client.isTls()) {
            return reject("-ERR TLS is already active.");
        }
        if (context.tls() == null) {
            return reject("-ERR STLS is not available.");
        }
        client.writeLine("+OK Begin TLS negotiation now.");
        limits.armReadTimeout(client);
        int dropped = client.startTls(context.tls());
        if (dropped > 0) {
            log.debug("dropped {} bytes that the client sent after STLS before TLS started", dropped);
        }
        pendingUser = null;
        return true;
    }

    private boolean user(String name) throws IOException {
        if (!plaintextAllowed()) {
            backendLogin.countRejected(client);
            return reject(PLAINTEXT_DISALLOWED);
        }
        if (name.isEmpty()) {
            return reject("-ERR Missing user name.");
        }
        pendingUser = name;
        client.writeLine("+OK");
        return true;
    }

    private boolean pass(String password) throws IOException, InterruptedException {
        if (pendingUser == null) {
            return reject("-ERR No user name given; send USER first.");
        }
        Credentials credentials = Credentials.of(pendingUser, password);
        pendingUser = null;
        return login(credentials, false);
    }

    private boolean auth(String argument) throws IOException, InterruptedException {
        if (argument.isEmpty()) {
            // Lists the mechanisms, as Dovecot and the drafts before RFC 5034 do.
            client.writeLine("+OK");
            client.writeLine("PLAIN");
            client.writeLine(".");
            return true;
        }
        String[] words = argument.split(" ", -1);
        if (!words[0].equalsIgnoreCase("PLAIN")) {
            return reject("-ERR Unsupported authentication mechanism.");
        }
        if (words.length > 2) {
            return reject("-ERR Invalid AUTH arguments; expected AUTH PLAIN [initial-response].");
        }
        if (!plaintextAllowed()) {
            backendLogin.countRejected(client);
            return reject(PLAINTEXT_DISALLOWED);
        }

        String response;
        if (words.length == 2) {
            // "=" is an empty initial response (RFC 5034).
            response = words[1].equals("=") ? "" : words[1];
        } else {
            client.writeLine("+ ");
            response = readClientLine();
            if (response == null) {
                return false;
            }
            if (response.equals("*")) {
                return reject("-ERR Authentication aborted.");
            }
        }

        Credentials credentials;
        try {
            credentials = SaslCodec.decodePlain(response);
        } catch (MalformedCredentialsException e) {
            backendLogin.countRejected(client);
            return reject("-ERR [AUTH] " + sentence(e.getMessage()));
        }
        return login(credentials, true);
    }

    /**
     * Logs the client in on its backend; returns false when the connection ends, after a relayed
     * session or when the bad-command limit is reached.
     */
    private boolean login(Credentials credentials, boolean sasl) throws IOException, InterruptedException {
        try {
            credentials.validate();
        } catch (MalformedCredentialsException e) {
            backendLogin.countRejected(client);
            return reject("-ERR [AUTH] " + sentence(e.getMessage()));
        }

        BackendLogin.Target target;
        try {
            target = backendLogin.connect(client, credentials.user());
            openTarget = target;
        } catch (IllegalArgumentException e) {
            log.debug("rejected login: {}", e.getMessage());
            return reject("-ERR [AUTH] Invalid user name.");
        } catch (BackendLogin.UnavailableException e) {
            return reject(TEMPORARY_FAILURE);
        }

        Pop3Backend backend;
        Pop3Backend.Reply reply;
        try {
            backend = new Pop3Backend(target.socket());
            Pop3Backend.Forwarded forwarded = new Pop3Backend.Forwarded(BackendLogin.clientAddress(client),
                    client.remote().getPort(), client.id());
            if (!backend.greetAndForward(forwarded)) {
                backendLogin.warnWithoutForwarding(client, target);
            }
            reply = sendLogin(backend, target.user(), credentials, sasl);
        } catch (IOException e) {
            backendLogin.logFailed(client, target, e);
            return reject(TEMPORARY_FAILURE);
        }

        if (!reply.accepted()) {
            target.close();
            backendLogin.logRejected(client, target, reply.line());
            return reject(reply.line());
        }
        client.writeLine(reply.line());
        backendLogin.relay(client, target, backend.drain());
        return false;
    }

    /** Sends the login the way the client sent it, with the user name the director routed. */
    private static Pop3Backend.Reply sendLogin(Pop3Backend backend, String user, Credentials credentials, boolean sasl)
            throws IOException {
        if (sasl) {
            return backend.loginWithPlain(BackendLogin.backendCredentials(user, credentials));
        }
        return backend.loginWithUserPass(user, credentials.password());
    }

    /** Sends a rejection; returns false when it exceeded the bad-command limit and the connection ends. */
    private boolean reject(String reply) throws IOException {
        client.writeLine(reply);
        if (limits.countBadCommand()) {
            client.writeLine("-ERR Too many bad commands.");
            log.debug("closing after {} bad commands", limits.badCommands());
            return false;
        }
        return true;
    }

    /** Reads a command line within the pre-login limits; returns null when the connection ends. */
    private String readClientLine() throws IOException {
        try {
            limits.armReadTimeout(client);
            return client.reader().readLineText(context.settings().maxLine());
        } catch (SocketTimeoutException e) {
            client.writeLine("-ERR Disconnected for inactivity.");
        } catch (LineTooLongException e) {
            client.writeLine("-ERR Line too long.");
        } catch (MalformedLineException e) {
            client.writeLine("-ERR Invalid line: " + e.getMessage() + ".");
        } catch (EOFException e) {
            log.debug("client closed the connection inside a line");
        }
        return null;
    }

    private boolean plaintextAllowed() {
        return !context.settings().requireTls() || client.isTls();
    }

    private boolean stlsAvailable() {
        return context.tls() != null && !client.isTls();
    }

    private static String sentence(String message) {
        return Character.toUpperCase(message.charAt(0)) + message.substring(1) + ".";
    }
}
