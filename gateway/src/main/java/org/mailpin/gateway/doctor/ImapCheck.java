package org.mailpin.gateway.doctor;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import org.eclipse.angus.mail.iap.BadCommandException;
import org.eclipse.angus.mail.iap.CommandFailedException;
import org.eclipse.angus.mail.iap.ProtocolException;
import org.eclipse.angus.mail.iap.Response;
import org.eclipse.angus.mail.imap.protocol.IMAPProtocol;
import org.eclipse.angus.mail.imap.protocol.MailboxInfo;
import org.eclipse.angus.mail.util.MailLogger;
import org.mailpin.gateway.mail.sasl.Credentials;

import jakarta.mail.Quota;

/**
 * Logs in to a backend's IMAP port with LOGIN, then reads INBOX with EXAMINE (read-only, so no
 * flag changes) and the quota with GETQUOTAROOT when the backend lists QUOTA. Angus Mail's
 * protocol layer is used directly because the report quotes the backend's own lines, which
 * {@code IMAPStore} turns into exception messages without the status.
 */
final class ImapCheck {

    private static final MailLogger LOGGER = new MailLogger(ImapCheck.class, "DEBUG IMAP", false, System.err);

    private ImapCheck() {
    }

    static ServiceCheck run(String address, int port, Credentials login, Deadline deadline) {
        Properties properties = new Properties();
        properties.put("mail.imap.socketFactory", deadline.socketFactory());
        properties.setProperty("mail.imap.connectiontimeout", Integer.toString(deadline.remainingMillis()));
        properties.setProperty("mail.imap.timeout", Integer.toString(deadline.remainingMillis()));

        GreetedProtocol protocol;
        try {
            protocol = new GreetedProtocol(address, port, properties);
        } catch (IOException e) {
            return result(port, CheckStatus.UNREACHABLE, null, null, Failures.describe(e, deadline), null);
        } catch (ProtocolException e) {
            // Angus Mail raises this for a BYE greeting, which then is the response.
            String greeting = e.getResponse() == null ? null : e.getResponse().toString();
            return result(port, CheckStatus.FAILED, greeting, null, "the backend refused the session", null);
        }

        try {
            return loginAndRead(protocol, port, login, deadline);
        } finally {
            logout(protocol);
        }
    }

    private static ServiceCheck loginAndRead(GreetedProtocol protocol, int port, Credentials login, Deadline deadline) {
        LoginReplyRecorder recorder = new LoginReplyRecorder();
        protocol.addResponseHandler(recorder);
        try {
            protocol.login(login.authenticationId(), login.password());
        } catch (CommandFailedException e) {
            return result(port, CheckStatus.REJECTED, protocol.greeting, withoutTag(e.getResponse()), null, null);
        } catch (BadCommandException e) {
            return result(port, CheckStatus.FAILED, protocol.greeting, withoutTag(e.getResponse()),
                    "the backend rejected the LOGIN command as invalid", null);
        } catch (ProtocolException e) {
            return result(port, CheckStatus.FAILED, protocol.greeting, reply(e.getResponse()),
                    problem(e, deadline), null);
        } finally {
            protocol.removeResponseHandler(recorder);
        }
        return result(port, CheckStatus.ACCEPTED, protocol.greeting, recorder.reply, null,
                readInbox(protocol, deadline));
    }

    private static Mailbox readInbox(GreetedProtocol protocol, Deadline deadline) {
        MailboxInfo inbox;
        try {
            inbox = protocol.examine("INBOX");
        } catch (ProtocolException e) {
            return Mailbox.unreadable("EXAMINE INBOX failed: " + failure(e, deadline));
        }
        if (!protocol.hasCapability("QUOTA")) {
            return new Mailbox(inbox.uidvalidity, (long) inbox.total, null, null);
        }
        try {
            List<QuotaUsage> quota = new ArrayList<>();
            for (Quota root : protocol.getQuotaRoot("INBOX")) {
                for (Quota.Resource resource : root.resources) {
                    quota.add(new QuotaUsage(root.quotaRoot, resource.name, resource.usage, resource.limit));
                }
            }
            return new Mailbox(inbox.uidvalidity, (long) inbox.total, List.copyOf(quota), null);
        } catch (ProtocolException e) {
            return new Mailbox(inbox.uidvalidity, (long) inbox.total, null, "GETQUOTAROOT INBOX failed: " + failure(e, deadline));
        }
    }

    private static void logout(GreetedProtocol protocol) {
        try {
            protocol.logout();
        } catch (ProtocolException e) {
            // The result is complete, so a backend that drops the connection at LOGOUT changes nothing.
        }
    }

    private static ServiceCheck result(int port, CheckStatus status, String greeting, String reply, String problem,
            Mailbox mailbox) {
        return new ServiceCheck(Service.IMAP, port, status, greeting, reply, problem, mailbox);
    }

    /** Returns the backend's reply, or for a failure Angus Mail made up itself, what failed. */
    private static String failure(ProtocolException e, Deadline deadline) {
        String reply = reply(e.getResponse());
        return reply != null ? reply : problem(e, deadline);
    }

    // Angus Mail turns a network error into a "synthetic" BYE that carries the exception.
    private static String reply(Response response) {
        return response == null || response.isSynthetic() ? null : withoutTag(response);
    }

    private static String problem(ProtocolException e, Deadline deadline) {
        Response response = e.getResponse();
        if (response != null && response.getException() instanceof IOException io) {
            return Failures.describe(io, deadline);
        }
        if (response != null && response.isBYE()) {
            return "the backend closed the session";
        }
        return e.getMessage();
    }

    private static String withoutTag(Response response) {
        String line = response.toString();
        if (response.isTagged() && line.indexOf(' ') > 0) {
            return line.substring(line.indexOf(' ') + 1);
        }
        return line;
    }

    /** Angus Mail's IMAP protocol, keeping the greeting line it reads while it is constructed. */
    private static final class GreetedProtocol extends IMAPProtocol {

        // Assigned from the superclass constructor, so it must have no initializer.
        private String greeting;

        GreetedProtocol(String address, int port, Properties properties) throws IOException, ProtocolException {
            super("imap", address, port, properties, false, LOGGER);
        }

        @Override
        protected void processGreeting(Response response) throws ProtocolException {
            greeting = response.toString();
            super.processGreeting(response);
        }
    }

    /** Keeps the tagged response to LOGIN, which Angus Mail passes to response handlers. */
    private static final class LoginReplyRecorder implements org.eclipse.angus.mail.iap.ResponseHandler {

        private String reply;

        @Override
        public void handleResponse(Response response) {
            if (response.isTagged()) {
                reply = withoutTag(response);
            }
        }
    }
}
