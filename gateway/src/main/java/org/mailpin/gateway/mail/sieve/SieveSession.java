package org.mailpin.gateway.mail.sieve;

import java.io.EOFException;
import java.io.IOException;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.util.List;
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
 * One ManageSieve client connection (RFC 5804). The proxy sends its own capabilities, handles
 * CAPABILITY, STARTTLS, NOOP, LOGOUT and AUTHENTICATE "PLAIN" itself and logs in on the backend the
 * director picks. It relays the backend's response verbatim, and after a successful login relays
 * bytes until either side closes.
 *
 * <p>The SASL response may come as a quoted string or a literal, as the initial response or after
 * the proxy's empty challenge. Roundcube's managesieve plugin sends, for example,
 * {@code AUTHENTICATE "PLAIN" {40+}} CRLF and then the base64 bytes.
 *
 * <p>Every rejected command counts toward {@code mail.max-bad-commands}, failed logins included.
 * Past the limit the proxy sends {@code BYE} after the rejection and closes.
 */
public final class SieveSession implements MailSession {

    static final String TEMPORARY_FAILURE = "NO (TRYLATER) \"Account is temporarily unavailable.\"";
    static final String ENCRYPT_NEEDED =
            "NO (ENCRYPT-NEEDED) \"Plaintext authentication disallowed on non-secure connections.\"";

    private static final Logger log = LoggerFactory.getLogger(SieveSession.class);

    private final ProxyContext context;
    private final SieveCapabilities capabilities;
    private final BackendLogin backendLogin;

    private volatile ClientConnection client;
    private volatile boolean stopping;
    /** The backend connection of the latest login attempt, closed by {@link #stop()}. */
    private volatile BackendLogin.Target openTarget;
    private SieveReader reader;
    private PreloginLimits limits;

    SieveSession(ProxyContext context, SieveCapabilities capabilities) {
        this.context = context;
        this.capabilities = capabilities;
        this.backendLogin = new BackendLogin(context);
    }

    /**
     * Adds the ManageSieve session factory to the map of protocol sessions. Its sessions share what
     * they learn of the backends' Sieve capabilities.
     */
    public static void register(Map<Protocol, Supplier<MailSession>> sessions, ProxyContext context) {
        BackendLogin.warnIfMasterUserSet(context, "ManageSieve", Protocol.SIEVE);
        SieveCapabilities shared = new SieveCapabilities();
        sessions.put(Protocol.SIEVE, () -> new SieveSession(context, shared));
    }

    @Override
    public void run(ClientConnection connection) throws IOException, InterruptedException {
        this.client = connection;
        if (stopping) {
            return;
        }
        this.reader = new SieveReader(connection.reader());
        this.limits = new PreloginLimits(context.settings());
        sendCapabilities("Mailpin ready.");
        boolean open = true;
        while (open) {
            SieveReader.Line command = readCommand();
            open = command != null && execute(command.words());
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
    private boolean execute(List<SieveReader.Word> words) throws IOException, InterruptedException {
        if (words.isEmpty() || words.get(0).string()) {
            return reject("NO \"Syntax error: expected a command name.\"");
        }
        List<SieveReader.Word> arguments = words.subList(1, words.size());
        return switch (words.get(0).text().toUpperCase(Locale.ROOT)) {
            case "CAPABILITY" -> arguments.isEmpty() ? sendCapabilities("Capability completed.") : syntaxError();
            case "STARTTLS" -> arguments.isEmpty() ? startTls() : syntaxError();
            case "NOOP" -> noop(arguments);
            case "AUTHENTICATE" -> authenticate(arguments);
            case "LOGOUT" -> {
                client.writeLine("OK \"Logout completed.\"");
                yield false;
            }
            default -> reject("NO \"Unknown command.\"");
        };
    }

    /** Sends the capability lines and the OK that ends them. */
    private boolean sendCapabilities(String okText) throws IOException {
        StringBuilder out = new StringBuilder();
        out.append("\"IMPLEMENTATION\" \"Mailpin\"\r\n");
        // RFC 5804 allows an empty SASL list only while STARTTLS is offered.
        out.append("\"SASL\" \"").append(plaintextAllowed() ? "PLAIN" : "").append("\"\r\n");
        List<String> language = capabilities.lines();
        if (language.isEmpty()) {
            out.append("\"SIEVE\" \"\"\r\n");
        }
        language.forEach(line -> out.append(line).append("\r\n"));
        if (context.tls() != null && !client.isTls()) {
            out.append("\"STARTTLS\"\r\n");
        }
        out.append("\"VERSION\" \"1.0\"\r\n");
        out.append("OK ").append(SieveStrings.quote(okText));
        client.writeLine(out.toString());
        return true;
    }

    private boolean startTls() throws IOException {
        if (client.isTls()) {
            return reject("NO \"TLS is already active.\"");
        }
        if (context.tls() == null) {
            return reject("NO \"STARTTLS is not available.\"");
        }
        client.writeLine("OK \"Begin TLS negotiation now.\"");
        limits.armReadTimeout(client);
        int dropped = client.startTls(context.tls());
        if (dropped > 0) {
            log.debug("dropped {} bytes that the client sent after STARTTLS before TLS started", dropped);
        }
        reader = new SieveReader(client.reader());
        // After TLS starts the server sends its capabilities again (RFC 5804), as Pigeonhole does.
        return sendCapabilities("TLS negotiation successful.");
    }

    private boolean noop(List<SieveReader.Word> arguments) throws IOException {
        if (arguments.isEmpty()) {
            client.writeLine("OK \"Done\"");
            return true;
        }
        if (arguments.size() > 1 || !arguments.get(0).string()) {
            return syntaxError();
        }
        // The tag comes back in a TAG response code (RFC 5804).
        client.writeLine("OK (TAG " + SieveStrings.quote(arguments.get(0).text()) + ") \"Done\"");
        return true;
    }

    private boolean authenticate(List<SieveReader.Word> arguments) throws IOException, InterruptedException {
        if (arguments.isEmpty() || arguments.size() > 2) {
            return syntaxError();
        }
        if (!arguments.get(0).text().equalsIgnoreCase("PLAIN")) {
            return reject("NO \"Unsupported authentication mechanism.\"");
        }
        if (!plaintextAllowed()) {
            backendLogin.countRejected(client);
            return reject(ENCRYPT_NEEDED);
        }

        String response;
        if (arguments.size() == 2) {
            response = arguments.get(1).text();
        } else {
            // An empty challenge, then the client's response as one string.
            client.writeLine("\"\"");
            SieveReader.Line line;
            try {
                line = read();
            } catch (SieveSyntaxException e) {
                return reject(syntaxErrorResponse(e));
            }
            if (line == null) {
                return false;
            }
            List<SieveReader.Word> words = line.words();
            if (words.size() != 1 || !words.get(0).string()) {
                return reject("NO \"Syntax error: expected the SASL response as one string.\"");
            }
            response = words.get(0).text();
            if (response.equals("*")) {
                return reject("NO \"Authentication aborted.\"");
            }
        }

        Credentials credentials;
        try {
            credentials = SaslCodec.decodePlain(response);
        } catch (MalformedCredentialsException e) {
            backendLogin.countRejected(client);
            return reject("NO " + SieveStrings.quote(sentence(e.getMessage())));
        }
        return login(credentials);
    }

    /**
     * Logs the client in on its backend; returns false when the connection ends, after a relayed
     * session or when the bad-command limit is reached.
     */
    private boolean login(Credentials credentials) throws IOException, InterruptedException {
        BackendLogin.Target target;
        try {
            target = backendLogin.connect(client, credentials.user());
            openTarget = target;
        } catch (IllegalArgumentException e) {
            log.debug("rejected login: {}", e.getMessage());
            return reject("NO \"Invalid user name.\"");
        } catch (BackendLogin.UnavailableException e) {
            return reject(TEMPORARY_FAILURE);
        }

        SieveBackend backend;
        SieveBackend.Reply reply;
        try {
            backend = new SieveBackend(target.socket());
            SieveBackend.Greeting greeting = backend.readGreeting();
            capabilities.update(greeting.capabilities());
            if (greeting.offersXclient()) {
                backend.forward(BackendLogin.clientAddress(client), client.remote().getPort(), client.id());
            } else {
                backendLogin.warnWithoutForwarding(client, target);
            }
            if (!greeting.offersPlain()) {
                throw new ProtocolException("the backend does not offer SASL PLAIN");
            }
            reply = backend.authenticate(BackendLogin.backendCredentials(target.user(), credentials));
        } catch (IOException e) {
            backendLogin.logFailed(client, target, e);
            return reject(TEMPORARY_FAILURE);
        }

        if (!reply.accepted()) {
            target.close();
            backendLogin.logRejected(client, target, reply.text());
            client.write(reply.raw());
            return countRejection();
        }
        client.write(reply.raw());
        backendLogin.relay(client, target, backend.drain());
        return false;
    }

    private boolean syntaxError() throws IOException {
        return reject("NO \"Syntax error in the arguments.\"");
    }

    /** Sends a rejection; returns false when it exceeded the bad-command limit and the connection ends. */
    private boolean reject(String response) throws IOException {
        client.writeLine(response);
        return countRejection();
    }

    private boolean countRejection() throws IOException {
        if (limits.countBadCommand()) {
            client.writeLine("BYE \"Too many bad commands.\"");
            log.debug("closing after {} bad commands", limits.badCommands());
            return false;
        }
        return true;
    }

    /**
     * Reads a command within the pre-login limits and rejects commands with bad syntax itself;
     * returns null when the connection ends.
     */
    private SieveReader.Line readCommand() throws IOException {
        while (true) {
            try {
                return read();
            } catch (SieveSyntaxException e) {
                if (!reject(syntaxErrorResponse(e))) {
                    return null;
                }
            }
        }
    }

    /**
     * Reads a command or SASL response within the pre-login limits; returns null when the
     * connection ends.
     *
     * @throws SieveSyntaxException on bad syntax; the whole line has been read
     */
    private SieveReader.Line read() throws IOException {
        try {
            limits.armReadTimeout(client);
            return reader.read(context.settings().maxLine());
        } catch (SocketTimeoutException e) {
            client.writeLine("BYE \"Disconnected for inactivity.\"");
        } catch (LineTooLongException e) {
            client.writeLine("BYE \"Line too long.\"");
        } catch (MalformedLineException e) {
            client.writeLine("BYE " + SieveStrings.quote("Invalid line: " + e.getMessage() + "."));
        } catch (EOFException e) {
            log.debug("client closed the connection inside a command");
        }
        return null;
    }

    private static String syntaxErrorResponse(SieveSyntaxException e) {
        return "NO " + SieveStrings.quote("Syntax error: " + e.getMessage() + ".");
    }

    private boolean plaintextAllowed() {
        return !context.settings().requireTls() || client.isTls();
    }

    private static String sentence(String message) {
        return Character.toUpperCase(message.charAt(0)) + message.substring(1) + ".";
    }
}
