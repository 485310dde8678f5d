package org.mailpin.gateway.mail.lmtp;

/** A client command the proxy rejects before contacting any backend, with the reply to send. */
final class CommandRejectedException extends Exception {

    private final transient LmtpReply reply;

    CommandRejectedException(LmtpReply reply) {
        super(reply.summary(), null, false, false);
        this.reply = reply;
    }

    /** Creates a 501 syntax error with the given enhanced status code. */
    static CommandRejectedException syntax(String enhancedCode, String text) {
        return new CommandRejectedException(LmtpReply.of(501, enhancedCode, text));
    }

    LmtpReply reply() {
        return reply;
    }
}
