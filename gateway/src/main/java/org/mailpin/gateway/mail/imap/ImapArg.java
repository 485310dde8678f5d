package org.mailpin.gateway.mail.imap;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One argument of a client command, in the data formats of RFC 3501: an atom, a quoted string, a
 * literal or a parenthesized list. String values are kept as bytes, so an 8-bit password reaches the backend
 * unchanged. {@code toString()} never shows a value, because arguments carry passwords.
 */
sealed interface ImapArg {

    /** An atom, or an astring written without quotes. {@code NIL} is an atom too. */
    record Atom(byte[] bytes) implements ImapArg {

        String text() {
            return new String(bytes, StandardCharsets.UTF_8);
        }

        boolean isNil() {
            return text().equalsIgnoreCase("NIL");
        }

        @Override
        public String toString() {
            return "Atom[" + bytes.length + " bytes]";
        }
    }

    /** A quoted string with its escapes removed. */
    record Quoted(byte[] value) implements ImapArg {

        @Override
        public String toString() {
            return "Quoted[" + value.length + " bytes]";
        }
    }

    /** A literal ({@code {n}} or {@code {n+}}) and its bytes. */
    record Literal(byte[] value) implements ImapArg {

        @Override
        public String toString() {
            return "Literal[" + value.length + " bytes]";
        }
    }

    /** A parenthesized list. */
    record ParenList(List<ImapArg> items) implements ImapArg {

        public ParenList {
            items = List.copyOf(items);
        }
    }

    /**
     * Returns the value of an astring (atom, quoted string or literal), or null for a list.
     */
    static byte[] astring(ImapArg arg) {
        return switch (arg) {
            case Atom atom -> atom.bytes();
            case Quoted quoted -> quoted.value();
            case Literal literal -> literal.value();
            case ParenList list -> null;
        };
    }

    /** True for a quoted string or a literal, which RFC 3501 calls a string. */
    static boolean isString(ImapArg arg) {
        return arg instanceof Quoted || arg instanceof Literal;
    }
}
