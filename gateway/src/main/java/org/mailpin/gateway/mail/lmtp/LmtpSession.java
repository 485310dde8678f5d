package org.mailpin.gateway.mail.lmtp;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.function.Supplier;

import org.mailpin.director.Assignment;
import org.mailpin.director.Backend;
import org.mailpin.director.Director;
import org.mailpin.director.IpAddresses;
import org.mailpin.director.NoBackendAvailableException;
import org.mailpin.gateway.mail.ClientConnection;
import org.mailpin.gateway.mail.LineReader;
import org.mailpin.gateway.mail.LineTooLongException;
import org.mailpin.gateway.mail.MailSession;
import org.mailpin.gateway.mail.MalformedLineException;
import org.mailpin.gateway.mail.ProxyContext;
import org.mailpin.gateway.mail.lmtp.BackendConnection.ClientIdentity;
import org.mailpin.gateway.mail.lmtp.LmtpCommand.PathArgument;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The LMTP proxy (RFC 2033) for one MTA connection. Each recipient goes to the backend that the
 * director assigns to its user, so one transaction can span several backends. The message is
 * streamed to all of them at once. The MTA then gets one reply per accepted recipient, in RCPT
 * order, each taken from that recipient's backend.
 *
 * <p>The proxy offers PIPELINING, ENHANCEDSTATUSCODES and 8BITMIME. It offers no STARTTLS, AUTH,
 * CHUNKING, SIZE, DSN or XCLIENT of its own: MTAs deliver over a trusted network, as to Dovecot.
 */
public final class LmtpSession implements MailSession {

    /**
     * Characters that start the detail of a local part, like Dovecot 2.3's default
     * {@code recipient_delimiter = +}: the director routes {@code user+detail@domain} by
     * {@code user@domain}, and the backend still gets the full address.
     */
    // NOTE: not configurable yet. With another recipient_delimiter in Dovecot, such addresses are
    // routed by the whole local part, possibly to another backend than the user's.
    static final String DEFAULT_RECIPIENT_DELIMITERS = "+";

    /** Maximum recipients per transaction. SMTP servers must buffer at least 100 (RFC 2821 section 4.5.3.1). */
    static final int MAX_RECIPIENTS = 1000;

    /**
     * Maximum wait for a backend's reply per recipient after the message, which includes storing
     * it. Dovecot 2.3's LMTP proxy waits 125 s by default ({@code src/lmtp/lmtp-proxy.c}).
     */
    static final Duration DATA_REPLY_TIMEOUT = Duration.ofSeconds(125);

    private static final Logger log = LoggerFactory.getLogger(LmtpSession.class);
    // Client mistakes go to their own category at DEBUG, because any client can cause them at will.
    private static final Logger clientLog = LoggerFactory.getLogger("org.mailpin.gateway.mail.lmtp.client");

    private final ProxyContext context;
    private final String recipientDelimiters;
    private final BackendFailureLog failureLog;
    private volatile ClientConnection client;
    private volatile boolean stopped;
    private String heloName;
    private LmtpTransaction transaction;
    private int badCommands;
    private int transactionCount;

    LmtpSession(ProxyContext context, String recipientDelimiters, BackendFailureLog failureLog) {
        this.context = context;
        this.recipientDelimiters = recipientDelimiters;
        this.failureLog = failureLog;
    }

    /** Returns a factory for the sessions of one node; they share the backend failure log. */
    public static Supplier<MailSession> factory(ProxyContext context) {
        BackendFailureLog failureLog = new BackendFailureLog(System::nanoTime);
        return () -> new LmtpSession(context, DEFAULT_RECIPIENT_DELIMITERS, failureLog);
    }

    @Override
    public void run(ClientConnection connection) throws Exception {
        this.client = connection;
        if (stopped) {
            return;
        }
        // The pre-login timeout bounds the silence between commands and inside DATA.
        client.setReadTimeout((int) context.settings().preloginTimeout().toMillis());
        client.writeLine("220 " + context.hostname() + " Mailpin LMTP ready");
        try {
            String line;
            do {
                line = client.reader().readLineText(context.settings().maxLine());
            } while (line != null && serve(line));
        } catch (SocketTimeoutException e) {
            clientLog.debug("closing idle connection after {}", context.settings().preloginTimeout());
            client.writeLine("421 4.4.2 " + context.hostname() + " Idle timeout, closing connection");
        } catch (LineTooLongException e) {
            clientLog.debug("closing connection: {}", e.getMessage());
            client.writeLine("500 5.5.6 Line longer than " + context.settings().maxLine() + " bytes, closing connection");
        } catch (MalformedLineException e) {
            clientLog.debug("closing connection: {}", e.getMessage());
            client.writeLine("500 5.5.2 Lines must end with CRLF, closing connection");
        } finally {
            endTransaction("connection closed");
        }
    }

    /**
     * Closes the client connection, which ends {@link #run} at its next read or write; a message
     * still inside DATA is discarded by the backends and the MTA retries it later.
     */
    @Override
    public void stop() {
        stopped = true;
        ClientConnection connection = client;
        if (connection != null) {
            connection.close();
        }
    }

    // Returns false when the session ends.
    private boolean serve(String line) throws Exception {
        try {
            return dispatch(LmtpCommand.parse(line));
        } catch (CommandRejectedException e) {
            return reject(e.reply());
        }
    }

    private boolean dispatch(LmtpCommand command) throws Exception {
        switch (command.verb()) {
            case "LHLO" -> lhlo(command);
            case "MAIL" -> mail(command);
            case "RCPT" -> rcpt(command);
            case "DATA" -> data(command);
            case "RSET" -> {
                endTransaction("RSET");
                reply(LmtpReply.of(250, "2.0.0", "OK"));
            }
            case "NOOP" -> reply(LmtpReply.of(250, "2.0.0", "OK"));
            case "VRFY" -> vrfy(command);
            case "QUIT" -> {
                reply(LmtpReply.of(221, "2.0.0", context.hostname() + " closing connection"));
                return false;
            }
            case "HELO", "EHLO" -> throw new CommandRejectedException(LmtpReply.of(500, "5.5.1", "This is LMTP: use LHLO"));
            case "STARTTLS", "AUTH", "BDAT", "XCLIENT", "XFORWARD", "EXPN", "ETRN", "HELP" ->
                    throw new CommandRejectedException(LmtpReply.of(502, "5.5.1", "Command not implemented"));
            default -> throw new CommandRejectedException(LmtpReply.of(500, "5.5.2", "Unknown command"));
        }
        return true;
    }

    private void lhlo(LmtpCommand command) throws IOException, CommandRejectedException {
        if (command.argument().isBlank()) {
            throw CommandRejectedException.syntax("5.5.4", "Syntax: LHLO hostname");
        }
        endTransaction("LHLO");
        heloName = command.argument().strip();
        client.writeLine("250-" + context.hostname());
        client.writeLine("250-PIPELINING");
        client.writeLine("250-ENHANCEDSTATUSCODES");
        client.writeLine("250 8BITMIME");
    }

    private void mail(LmtpCommand command) throws IOException, CommandRejectedException {
        if (heloName == null) {
            throw new CommandRejectedException(LmtpReply.of(503, "5.5.1", "Send LHLO first"));
        }
        if (transaction != null) {
            throw new CommandRejectedException(LmtpReply.of(503, "5.5.1", "MAIL already given, send RSET to start over"));
        }
        PathArgument from = command.mailFrom();
        transactionCount++;
        ClientIdentity identity = new ClientIdentity(IpAddresses.format(client.remote().getAddress()),
                client.remote().getPort(), heloName, client.id() + "-" + transactionCount);
        transaction = new LmtpTransaction(from, context.connector(), context.hostname(), identity,
                ProxyContext.BACKEND_TIMEOUT, failureLog);
        reply(LmtpReply.of(250, "2.1.0", "OK"));
    }

    private void rcpt(LmtpCommand command) throws IOException, CommandRejectedException {
        if (transaction == null) {
            throw new CommandRejectedException(LmtpReply.of(503, "5.5.1", "Send MAIL FROM first"));
        }
        MailPath path = command.rcptTo().path();
        if (transaction.recipientCount() >= MAX_RECIPIENTS) {
            reply(LmtpReply.of(452, "4.5.3", "Too many recipients, at most " + MAX_RECIPIENTS + " per transaction"));
            return;
        }
        Director director = context.director();
        String user;
        try {
            user = director.normalizer().normalize(path.routingAddress(recipientDelimiters));
        } catch (IllegalArgumentException e) {
            throw CommandRejectedException.syntax("5.1.3", "Invalid recipient address: " + e.getMessage());
        }
        Backend backend;
        try {
            backend = route(director, user);
        } catch (NoBackendAvailableException e) {
            finish(path, user, null, LmtpReply.of(451, "4.4.0", "No backend available for this recipient, try again later"));
            return;
        } catch (RuntimeException e) {
            log.warn("director lookup of {} failed: {}", user, e.toString());
            finish(path, user, null, LmtpReply.of(451, "4.4.0", "Recipient lookup failed, try again later"));
            return;
        }
        LmtpReply reply = transaction.addRecipient(path, user, backend);
        if (reply.isPositive()) {
            reply(reply);
        } else {
            finish(path, user, backend, reply);
        }
    }

    private static Backend route(Director director, String user) {
        Assignment assignment = director.assign(user);
        return director.backend(assignment.backendId()).orElseThrow(() -> {
            log.warn("the director assigned {} to backend {}, which is not in its backend list", user, assignment.backendId());
            return new NoBackendAvailableException(user, "");
        });
    }

    private void data(LmtpCommand command) throws Exception {
        if (transaction == null) {
            throw new CommandRejectedException(LmtpReply.of(503, "5.5.1", "Send MAIL FROM first"));
        }
        if (!command.argument().isEmpty()) {
            throw CommandRejectedException.syntax("5.5.4", "DATA takes no argument");
        }
        if (transaction.accepted().isEmpty()) {
            // RFC 2033 section 4.2. Not counted as a bad command, because a pipelining client sends
            // DATA before it has read the RCPT replies.
            reply(LmtpReply.of(503, "5.5.1", "No valid recipients"));
            return;
        }
        DataFanOut fanOut = new DataFanOut(transaction.startData(), ProxyContext.BACKEND_TIMEOUT);
        client.writeLine("354 Send the message, end with <CR><LF>.<CR><LF>");
        try {
            relayData(client.reader(), fanOut);
        } catch (IOException | InterruptedException e) {
            fanOut.abort("the client connection failed inside DATA");
            logUnfinished("client connection failed inside DATA: " + e.getMessage());
            transaction.abort();
            transaction = null;
            throw e;
        }
        fanOut.finish();
        try {
            sendFinalReplies(fanOut);
        } finally {
            transaction.close();
            transaction = null;
        }
        // A long-lived MTA connection would otherwise pile up rare mistakes over thousands of messages.
        badCommands = 0;
    }

    // Every outcome is logged even if the client is gone, because the backends may have stored
    // the message already. The MTA, which got no reply, will send it again.
    private void sendFinalReplies(DataFanOut fanOut) throws IOException {
        IOException[] clientFailure = {null};
        transaction.finishData(fanOut, DATA_REPLY_TIMEOUT, (recipient, reply) -> {
            logOutcome(recipient.path(), recipient.user(), recipient.backend(), reply);
            if (clientFailure[0] == null) {
                try {
                    reply(reply);
                } catch (IOException e) {
                    clientFailure[0] = e;
                }
            }
        });
        if (clientFailure[0] != null) {
            throw clientFailure[0];
        }
    }

    /**
     * Copies the DATA section from the client to the fan-out until its end line, chunk by chunk.
     * A chunk is passed on when full or before the proxy waits for more bytes from the client, so
     * backends get every byte that has arrived.
     */
    static long relayData(LineReader reader, DataFanOut fanOut) throws IOException, InterruptedException {
        DataEndScanner scanner = new DataEndScanner();
        byte[] buffer = new byte[DataFanOut.CHUNK_SIZE];
        int length = 0;
        long total = 0;
        while (!scanner.ended()) {
            int n = reader.readThroughLf(buffer, length, buffer.length - length);
            if (n < 0) {
                throw new EOFException("connection closed inside DATA after " + (total + length) + " bytes");
            }
            // readThroughLf stops at each LF, so the end line is always the last thing read.
            scanner.scan(buffer, length, n);
            length += n;
            if (length == buffer.length || reader.buffered() == 0 || scanner.ended()) {
                fanOut.send(Arrays.copyOf(buffer, length));
                total += length;
                length = 0;
            }
        }
        return total;
    }

    private void vrfy(LmtpCommand command) throws IOException, CommandRejectedException {
        if (command.argument().isBlank()) {
            throw CommandRejectedException.syntax("5.5.4", "Syntax: VRFY address");
        }
        // 252: cannot verify the user, but will accept mail and try delivery (RFC 1123 section
        // 5.2.3). The text is Dovecot 2.3's.
        reply(LmtpReply.of(252, "2.3.3", "Try RCPT instead"));
    }

    // Sends a recipient's final reply and logs its outcome.
    private void finish(MailPath path, String user, Backend backend, LmtpReply reply) throws IOException {
        logOutcome(path, user, backend, reply);
        reply(reply);
    }

    private void logOutcome(MailPath path, String user, Backend backend, LmtpReply reply) {
        log.info("lmtp rcpt={} user={} backend={} result={}", path.address(), user,
                backend == null ? "-" : backend.id(), reply.summary());
        context.metrics().recordLmtpDelivery(reply.code());
    }

    // Ends a transaction before DATA, when every backend connection is between commands.
    private void endTransaction(String reason) {
        if (transaction == null) {
            return;
        }
        logUnfinished(reason);
        transaction.close();
        transaction = null;
    }

    private void logUnfinished(String reason) {
        for (LmtpTransaction.Recipient recipient : transaction.accepted()) {
            log.info("lmtp rcpt={} user={} backend={} result=none, transaction ended by {}", recipient.path().address(),
                    recipient.user(), recipient.backend().id(), reason);
            context.metrics().recordLmtpUnfinished();
        }
    }

    // Returns false when the client has made too many mistakes and the session ends.
    private boolean reject(LmtpReply reply) throws IOException {
        badCommands++;
        clientLog.debug("rejected a command with {}", reply.summary());
        reply(reply);
        if (badCommands >= context.settings().maxBadCommands()) {
            clientLog.debug("closing connection after {} bad commands", badCommands);
            client.writeLine("421 4.7.0 " + context.hostname() + " Too many invalid commands, closing connection");
            return false;
        }
        return true;
    }

    private void reply(LmtpReply reply) throws IOException {
        client.write(reply.wire().getBytes(StandardCharsets.UTF_8));
    }
}
