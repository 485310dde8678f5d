package org.mailpin.gateway.mail.imap;

/**
 * A client command that cannot be parsed. The message is sent to the client after {@code BAD},
 * so it never contains argument bytes.
 */
final class ImapSyntaxException extends Exception {

    private final String tag;

    /**
     * @param tag      the command's tag, or null when the tag itself is invalid (the reply then uses {@code *})
     * @param message  the text of the {@code BAD} reply, e.g. "Unterminated quoted string."
     */
    ImapSyntaxException(String tag, String message) {
        super(message);
        this.tag = tag;
    }

    /** Returns the tag for the reply: the command's tag, or {@code *} when it has none. */
    String replyTag() {
        return tag == null ? "*" : tag;
    }
}
