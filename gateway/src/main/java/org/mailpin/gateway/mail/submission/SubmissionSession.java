package org.mailpin.gateway.mail.submission;

import java.io.EOFException;
import java.io.IOException;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
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
 * One Submission client connection (RFC 6409). The proxy handles EHLO, HELO, STARTTLS (RFC 3207),
 * AUTH PLAIN and AUTH LOGIN (RFC 4954), NOOP, RSET and QUIT itself and logs in on the backend the
 * director picks. It relays the backend's AUTH reply verbatim, and after a successful login relays
 * bytes until either side closes.
 *
 * <p>The client never sees the backend's EHLO reply, because it has already sent EHLO to the proxy
 * and does not repeat it after AUTH. The proxy therefore offers only what it handles itself:
 * STARTTLS, AUTH and ENHANCEDSTATUSCODES. Clients send mail without PIPELINING, SIZE, 8BITMIME or
 * CHUNKING, which every Submission server supports.
 *
 * <p>Every 5xx reply to the client counts toward {@code mail.max-bad-commands}, and so does every
 * failed login. Past the limit the proxy sends a 421 reply after the rejection and closes.
 */
public final class SubmissionSession implements MailSession {

    static final String TEMPORARY_FAILURE = "454 4.7.0 Account is temporarily unavailable.";
    static final String ENCRYPTION_REQUIRED = "538 5.7.11 Encryption required for requested authentication mechanism.";
    // "Username:" and "Password:" in base64, the prompts every AUTH LOGIN client expects.
    static final String LOGIN_USER_PROMPT = "334 VXNlcm5hbWU6";
    static final String LOGIN_PASSWORD_PROMPT = "334 UGFzc3dvcmQ6";
    /** Maximum length of an EHLO or HELO name, in characters, because a domain name has at most 255 octets. */
    static final int MAX_DOMAIN = 255;

    private static final Logger log = LoggerFactory.getLogger(SubmissionSession.class);

    private final ProxyContext context;
    private final BackendLogin backendLogin;

    private volatile ClientConnection client;
    private volatile boolean stopping;
    /** The backend connection of the latest login attempt, closed by {@link #stop()}. */
    private volatile BackendLogin.Target openTarget;
    private PreloginLimits limits;
    /** The client's EHLO name, or null before EHLO and after STARTTLS. */
    private String ehloName;

    SubmissionSession(ProxyContext context) {
        this.context = context;
        this.backendLogin = new BackendLogin(context);
    }

    /** Adds the Submission and Submissions session factories to the map of protocol sessions. */
    public static void register(Map<Protocol, Supplier<MailSession>> sessions, ProxyContext context) {
        BackendLogin.warnIfMasterUserSet(context, "Submission", Protocol.SUBMISSION, Protocol.SUBMISSIONS);
        sessions.put(Protocol.SUBMISSION, () -> new SubmissionSession(context));
        sessions.put(Protocol.SUBMISSIONS, () -> new SubmissionSession(context));
    }

    @Override
    public void run(ClientConnection connection) throws IOException, InterruptedException {
        this.client = connection;
        if (stopping) {
            return;
        }
        this.limits = new PreloginLimits(context.settings());
        client.writeLine("220 " + context.hostname() + " Mailpin ready.");
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
        String argument = space < 0 ? "" : line.substring(space + 1).strip();
        return switch (verb) {
            case "EHLO" -> ehlo(argument);
            case "HELO" -> helo(argument);
            case "STARTTLS" -> startTls(argument);
            case "AUTH" -> auth(argument);
            case "MAIL", "RCPT", "DATA", "BDAT", "BURL" -> reject("530 5.7.0 Authentication required.");
            case "NOOP", "RSET" -> {
                client.writeLine("250 2.0.0 OK");
                yield true;
            }
            case "QUIT" -> {
                client.writeLine("221 2.0.0 Bye.");
                yield false;
            }
            default -> reject("500 5.5.1 Unknown command.");
        };
    }

    private boolean ehlo(String domain) throws IOException {
        String problem = domainProblem(domain);
        if (problem != null) {
            return reject("501 5.5.4 " + problem);
        }
        ehloName = domain;
        List<String> lines = new ArrayList<>();
        lines.add(context.hostname());
        if (context.tls() != null && !client.isTls()) {
            lines.add("STARTTLS");
        }
        if (plaintextAllowed()) {
            lines.add("AUTH PLAIN LOGIN");
        }
        lines.add("ENHANCEDSTATUSCODES");
        StringBuilder reply = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            reply.append(i == lines.size() - 1 ? "250 " : "250-").append(lines.get(i));
            if (i < lines.size() - 1) {
                reply.append("\r\n");
            }
        }
        client.writeLine(reply.toString());
        return true;
    }

    private boolean helo(String domain) throws IOException {
        String problem = domainProblem(domain);
        if (problem != null) {
            return reject("501 5.5.4 " + problem);
        }
        // AUTH is an ESMTP extension, so a HELO client cannot log in until it sends EHLO.
        ehloName = null;
        client.writeLine("250 " + context.hostname());
        return true;
    }

    private boolean startTls(String argument) throws IOException {
        if (!argument.isEmpty()) {
            return reject("501 5.5.4 STARTTLS takes no parameters.");
        }
        if (client.isTls()) {
            return reject("503 5.5.1 TLS is already active.");
        }
        if (context.tls() == null) {
            return reject("502 5.5.1 STARTTLS is not available.");
        }
        client.writeLine("220 2.0.0 Ready to start TLS.");
        limits.armReadTimeout(client);
        int dropped = client.startTls(context.tls());
        if (dropped > 0) {
            log.debug("dropped {} bytes that the client sent after STARTTLS before TLS started", dropped);
        }
        // The client starts over with EHLO (RFC 3207).
        ehloName = null;
        return true;
    }

    private boolean auth(String argument) throws IOException, InterruptedException {
        if (ehloName == null) {
            return reject("503 5.5.1 Send EHLO first.");
        }
        String[] words = argument.split(" +");
        if (argument.isEmpty() || words.length > 2) {
            return reject("501 5.5.4 Invalid AUTH parameters; expected AUTH mechanism [initial-response].");
        }
        String mechanism = words[0].toUpperCase(Locale.ROOT);
        if (!mechanism.equals("PLAIN") && !mechanism.equals("LOGIN")) {
            return reject("504 5.5.4 Unsupported authentication mechanism.");
        }
        if (!plaintextAllowed()) {
            backendLogin.countRejected(client);
            return reject(ENCRYPTION_REQUIRED);
        }
        String initial = null;
        if (words.length == 2) {
            // RFC 4954 section 4: "=" is an empty initial response.
            initial = words[1].equals("=") ? "" : words[1];
        }

        Credentials credentials;
        try {
            credentials = mechanism.equals("PLAIN") ? plainResponse(initial) : loginResponses(initial);
        } catch (MalformedCredentialsException e) {
            backendLogin.countRejected(client);
            return reject("501 5.5.2 " + sentence(e.getMessage()));
        } catch (AbortedException e) {
            return e.connectionOpen && reject("501 5.7.0 Authentication aborted.");
        }
        return login(credentials);
    }

    private Credentials plainResponse(String initial) throws IOException, MalformedCredentialsException, AbortedException {
        String response = initial != null ? initial : prompt("334 ");
        return SaslCodec.decodePlain(response);
    }

    private Credentials loginResponses(String initial) throws IOException, MalformedCredentialsException, AbortedException {
        String user = SaslCodec.decodeText(initial != null ? initial : prompt(LOGIN_USER_PROMPT));
        String password = SaslCodec.decodeText(prompt(LOGIN_PASSWORD_PROMPT));
        return Credentials.of(user, password).validate();
    }

    /** Sends a 334 challenge and returns the client's response line. */
    private String prompt(String challenge) throws IOException, AbortedException {
        client.writeLine(challenge);
        String response = readClientLine();
        if (response == null) {
            throw new AbortedException(false);
        }
        if (response.equals("*")) {
            throw new AbortedException(true);
        }
        return response;
    }

    /** The client cancelled AUTH with "*" (RFC 4954), or the connection ended during it. */
    private static final class AbortedException extends Exception {

        final boolean connectionOpen;

        AbortedException(boolean connectionOpen) {
            super(null, null, false, false);
            this.connectionOpen = connectionOpen;
        }
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
            return reject("535 5.7.8 Invalid user name.");
        } catch (BackendLogin.UnavailableException e) {
            return reject(TEMPORARY_FAILURE);
        }

        SubmissionBackend backend;
        SmtpReply reply;
        try {
            backend = new SubmissionBackend(target.socket());
            backend.readGreeting();
            SubmissionBackend.Capabilities capabilities = backend.ehlo(context.hostname());
            if (capabilities.offersXclient()) {
                backend.forward(capabilities, new SubmissionBackend.Forwarded(BackendLogin.clientAddress(client),
                        client.remote().getPort(), ehloName, client.id(), BackendLogin.FORWARD_TTL));
                capabilities = backend.ehlo(ehloName);
            } else {
                backendLogin.warnWithoutForwarding(client, target);
            }
            if (!capabilities.auth()) {
                // Dovecot offers AUTH only where it allows plaintext logins, e.g. not before TLS.
                throw new ProtocolException("the backend does not offer AUTH; does it require TLS?");
            }
            reply = backend.authenticate(BackendLogin.backendCredentials(target.user(), credentials));
        } catch (IOException e) {
            backendLogin.logFailed(client, target, e);
            return reject(TEMPORARY_FAILURE);
        }

        client.write(reply.raw());
        if (reply.code() != 235) {
            target.close();
            backendLogin.logRejected(client, target, reply.text());
            return countRejection();
        }
        backendLogin.relay(client, target, backend.drain());
        return false;
    }

    /** Sends a rejection; returns false when the connection ends because of the bad-command limit. */
    private boolean reject(String reply) throws IOException {
        client.writeLine(reply);
        return countRejection();
    }

    private boolean countRejection() throws IOException {
        if (limits.countBadCommand()) {
            client.writeLine("421 4.7.0 Too many bad commands; closing the connection.");
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
            client.writeLine("421 4.4.2 Disconnected for inactivity.");
        } catch (LineTooLongException e) {
            client.writeLine("421 4.7.0 Line too long; closing the connection.");
        } catch (MalformedLineException e) {
            client.writeLine("421 4.7.0 Invalid line: " + e.getMessage() + "; closing the connection.");
        } catch (EOFException e) {
            log.debug("client closed the connection inside a line");
        }
        return null;
    }

    /** Returns why an EHLO or HELO name is unusable, or null when it is fine. */
    private static String domainProblem(String domain) {
        if (domain.isEmpty()) {
            return "Missing domain name.";
        }
        if (domain.length() > MAX_DOMAIN) {
            return "Domain name longer than " + MAX_DOMAIN + " characters.";
        }
        for (int i = 0; i < domain.length(); i++) {
            char c = domain.charAt(i);
            if (c <= ' ' || c > '~') {
                return "Invalid domain name: expected one name in printable ASCII.";
            }
        }
        return null;
    }

    private boolean plaintextAllowed() {
        return !context.settings().requireTls() || client.isTls();
    }

    private static String sentence(String message) {
        return Character.toUpperCase(message.charAt(0)) + message.substring(1) + ".";
    }
}
