package org.mailpin.gateway.dovecot;

/**
 * Something the importer could not translate, or translated into something the administrator must
 * act on. Every note is listed at the top of the written config and on standard error.
 *
 * @param kind  how much it matters
 * @param line  the line of the Dovecot file it is about, or 0 for the file as a whole
 * @param text  a sentence naming the Dovecot setting and what to do
 */
public record ImportNote(Kind kind, int line, String text) {

    public enum Kind {
        /** The written config works only after the administrator acts, e.g. fills in a placeholder. */
        ACTION,
        /** A Dovecot setting that the written config does not reproduce, to be checked by hand. */
        UNTRANSLATED,
        /** A Dovecot setting that Mailpin does not need, because it does that work another way. */
        NOT_NEEDED
    }

    /** Returns e.g. {@code line 12: ...} or the text alone for the file as a whole. */
    public String located() {
        return line > 0 ? "line " + line + ": " + text : text;
    }
}
