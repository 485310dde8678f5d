package org.mailpin.gateway.mail.lmtp;

import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.mailpin.director.Backend;
import org.mailpin.gateway.mail.BackendConnector;
import org.mailpin.gateway.mail.Protocol;
import org.mailpin.gateway.mail.lmtp.BackendConnection.ClientIdentity;
import org.mailpin.gateway.mail.lmtp.LmtpCommand.PathArgument;

/**
 * One mail transaction from MAIL FROM to the end of DATA, with at most one backend connection per
 * backend. The connection opens, and sends MAIL FROM, at the first recipient routed to that
 * backend. Then each recipient gets its own RCPT, whose reply goes back to the client.
 *
 * <p>A backend that fails (connect, timeout, broken or closed connection, a 421) is recorded with
 * a {@code 451 4.4.0} reply, which every recipient on it gets, including later ones and those it
 * had already accepted, while the other backends carry on. A backend that rejects MAIL FROM gives
 * its reply to every recipient routed to it.
 */
final class LmtpTransaction {

    /** A recipient whose RCPT a backend accepted, in RCPT order. */
    record Recipient(MailPath path, String user, Backend backend, BackendConnection connection) {
    }

    /** Receives the final reply of each accepted recipient, in RCPT order. */
    interface ReplySink {
        void accept(Recipient recipient, LmtpReply reply);
    }

    private final PathArgument from;
    private final BackendConnector connector;
    private final String hostname;
    private final ClientIdentity client;
    private final Duration timeout;
    private final BackendFailureLog failureLog;
    private final Map<String, BackendConnection> connections = new LinkedHashMap<>();
    private final Map<String, LmtpReply> failures = new HashMap<>();
    private final List<Recipient> accepted = new ArrayList<>();
    private int recipientCount;

    /**
     * @param client   the MTA's identity for XCLIENT
     * @param timeout  maximum wait for each backend reply before the message, the greeting included
     */
    LmtpTransaction(PathArgument from, BackendConnector connector, String hostname, ClientIdentity client,
                    Duration timeout, BackendFailureLog failureLog) {
        this.from = from;
        this.connector = connector;
        this.hostname = hostname;
        this.client = client;
        this.timeout = timeout;
        this.failureLog = failureLog;
    }

    /** Returns how many recipients were routed to a backend, accepted or not. */
    int recipientCount() {
        return recipientCount;
    }

    List<Recipient> accepted() {
        return List.copyOf(accepted);
    }

    /**
     * Sends RCPT for the recipient to its backend, first opening the connection and sending MAIL
     * FROM if this is the backend's first recipient in the transaction.
     *
     * @return the reply for the client: the backend's, or {@code 451 4.4.0} if the backend failed
     */
    LmtpReply addRecipient(MailPath path, String user, Backend backend) {
        recipientCount++;
        LmtpReply failure = failures.get(backend.id());
        if (failure != null) {
            return failure;
        }
        BackendConnection connection = connections.get(backend.id());
        if (connection == null) {
            connection = connect(backend);
            if (connection == null) {
                return failures.get(backend.id());
            }
        }
        try {
            LmtpReply reply = relayable(connection, connection.command("RCPT TO:" + path.text()), "RCPT");
            if (reply.isPositive()) {
                accepted.add(new Recipient(path, user, backend, connection));
            }
            return reply;
        } catch (IOException e) {
            return fail(connection, "RCPT", e);
        }
    }

    // Returns null after recording the failure when the backend cannot be reached or rejects MAIL FROM.
    private BackendConnection connect(Backend backend) {
        int port = Protocol.LMTP.backendPort(backend.ports());
        BackendConnection connection;
        try {
            connection = BackendConnection.open(connector, backend, port, hostname, client, timeout);
        } catch (IOException e) {
            String description = backend.id() + " (" + backend.address() + ":" + port + ")";
            failures.put(backend.id(), unavailable(backend.id(), kind(e)));
            // The connector's message repeats the backend's address; its cause has the reason alone.
            String error = e.getCause() == null ? e.getMessage() : e.getCause().toString();
            failureLog.failed(backend.id(), description, "connect", error);
            return null;
        }
        connections.put(backend.id(), connection);
        try {
            LmtpReply reply = relayable(connection, connection.command(connection.mailCommand(from)), "MAIL");
            if (!reply.isPositive()) {
                failures.put(backend.id(), reply);
                connection.close();
                return null;
            }
            return connection;
        } catch (IOException e) {
            fail(connection, "MAIL", e);
            return null;
        }
    }

    /**
     * Sends DATA to every backend that accepted a recipient and reads each 354.
     *
     * @return the connections ready for the message; a backend that refused DATA passes its reply
     *         to its recipients after the message
     */
    List<BackendConnection> startData() {
        List<BackendConnection> targets = accepted.stream().map(Recipient::connection).distinct()
                .filter(c -> !failures.containsKey(c.backend().id())).toList();
        for (BackendConnection connection : targets) {
            try {
                connection.send("DATA");
            } catch (IOException e) {
                fail(connection, "DATA", e);
            }
        }
        List<BackendConnection> ready = new ArrayList<>();
        for (BackendConnection connection : targets) {
            if (failures.containsKey(connection.backend().id())) {
                continue;
            }
            try {
                LmtpReply reply = connection.read();
                if (reply.code() == 354) {
                    ready.add(connection);
                } else {
                    // A 421 was already recorded, and the socket closed, by relayable().
                    failures.put(connection.backend().id(), relayable(connection, reply, "DATA"));
                    connection.close();
                }
            } catch (IOException e) {
                fail(connection, "DATA", e);
            }
        }
        return ready;
    }

    /**
     * Reads each backend's reply per accepted recipient after the message was written, and hands
     * them to the sink in RCPT order (RFC 2033 section 4.2). A recipient gets a 2xx only when its
     * backend sent one for it.
     *
     * @param replyTimeout  longest wait for one reply; storing a large message takes a while
     */
    void finishData(DataFanOut fanOut, Duration replyTimeout, ReplySink sink) {
        for (Recipient recipient : accepted) {
            BackendConnection connection = recipient.connection();
            LmtpReply reply = failures.get(recipient.backend().id());
            if (reply == null && fanOut.failure(connection) != null) {
                reply = fail(connection, "DATA", fanOut.failure(connection));
            }
            if (reply == null) {
                try {
                    connection.setReplyTimeout(replyTimeout);
                    reply = relayable(connection, connection.read(), "DATA");
                } catch (IOException e) {
                    reply = fail(connection, "DATA", e);
                }
            }
            sink.accept(recipient, reply);
        }
    }

    /** Ends the transaction on every backend that still works, with QUIT. */
    void close() {
        for (BackendConnection connection : connections.values()) {
            if (!failures.containsKey(connection.backend().id())) {
                connection.close();
            }
        }
    }

    /** Closes every backend connection at once; a backend in DATA discards the message. */
    void abort() {
        for (BackendConnection connection : connections.values()) {
            connection.abort();
        }
    }

    // A 421 means the backend is closing the connection; relayed as it is, it would tell the MTA
    // that the proxy's own connection is closing.
    private LmtpReply relayable(BackendConnection connection, LmtpReply reply, String phase) {
        if (reply.code() == 421) {
            return fail(connection, phase, "closing connection", "it sent " + reply.summary());
        }
        return reply.withEnhancedCode();
    }

    private LmtpReply fail(BackendConnection connection, String phase, IOException e) {
        return fail(connection, phase, kind(e), e.getMessage());
    }

    private LmtpReply fail(BackendConnection connection, String phase, String kind, String error) {
        String id = connection.backend().id();
        LmtpReply reply = failures.get(id);
        if (reply == null) {
            reply = unavailable(id, kind);
            failures.put(id, reply);
            connection.abort();
            failureLog.failed(id, connection.describe(), phase, error);
        }
        return reply;
    }

    private static LmtpReply unavailable(String backendId, String kind) {
        return LmtpReply.of(451, "4.4.0", "Backend " + backendId + " unavailable (" + kind + "), try again later");
    }

    // BackendConnector wraps the socket's exception, so the cause is checked too.
    private static String kind(IOException e) {
        if (e instanceof ConnectException || e.getCause() instanceof ConnectException) {
            return "connect failed";
        }
        if (e instanceof SocketTimeoutException || e.getCause() instanceof SocketTimeoutException) {
            return "timed out";
        }
        if (e instanceof LmtpReply.BadReplyException) {
            return "invalid reply";
        }
        if (e instanceof EOFException) {
            return "connection closed";
        }
        return "connection failed";
    }
}
