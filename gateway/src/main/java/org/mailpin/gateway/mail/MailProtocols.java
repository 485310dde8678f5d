package org.mailpin.gateway.mail;

import java.util.EnumMap;
import java.util.Map;
import java.util.function.Supplier;

/** The session implementation of each protocol the gateway proxies. */
public final class MailProtocols {

    private MailProtocols() {
    }

    /** Returns a session factory for every implemented protocol. */
    public static Map<Protocol, Supplier<MailSession>> sessions(ProxyContext context) {
        Map<Protocol, Supplier<MailSession>> sessions = new EnumMap<>(Protocol.class);
        // Protocol sessions register here as they are implemented.
        org.mailpin.gateway.mail.imap.ImapSession.register(sessions, context);
        sessions.put(Protocol.LMTP, org.mailpin.gateway.mail.lmtp.LmtpSession.factory(context));
        org.mailpin.gateway.mail.pop3.Pop3Session.register(sessions, context);
        org.mailpin.gateway.mail.sieve.SieveSession.register(sessions, context);
        org.mailpin.gateway.mail.submission.SubmissionSession.register(sessions, context);
        return sessions;
    }
}
