package org.mailpin.gateway.mail.lmtp;

/**
 * The address of a MAIL FROM reverse-path or a RCPT TO forward-path, checked against the grammar
 * of RFC 5321 section 4.1.2 and kept as the client wrote it. A source route
 * ({@code <@relay:user@domain>}) is dropped, because RFC 5321 recommends that servers ignore it. Only ASCII is accepted because
 * the proxy does not offer SMTPUTF8.
 *
 * @param localPart  the local part as written: a dot-string, or a quoted string with its quotes
 * @param domain     the domain or address literal; empty for the null path {@code <>} and for a
 *                   recipient with no domain, which LMTP servers such as Dovecot accept
 */
record MailPath(String localPart, String domain) {

    /** The null reverse-path {@code <>} of bounces. */
    static final MailPath NULL = new MailPath("", "");

    private static final String ATEXT_SPECIALS = "!#$%&'*+-/=?^_`{|}~";

    boolean isNull() {
        return localPart.isEmpty();
    }

    /** Returns the address without angle brackets, e.g. {@code user01@example.test}. */
    String address() {
        return domain.isEmpty() ? localPart : localPart + "@" + domain;
    }

    /** Returns the path as sent to a backend, e.g. {@code <user01@example.test>}. */
    String text() {
        return "<" + address() + ">";
    }

    /**
     * Returns the address the director routes by: the local part without its quotes and without
     * everything from the first of {@code delimiters}, then {@code @} and the domain. With the
     * delimiter {@code +}, {@code user01+news@example.test} routes like {@code user01@example.test},
     * just as Dovecot's LMTP finds the user with {@code recipient_delimiter}.
     */
    String routingAddress(String delimiters) {
        String local = unquotedLocalPart();
        int cut = 0;
        while (cut < local.length() && delimiters.indexOf(local.charAt(cut)) < 0) {
            cut++;
        }
        // A local part that starts with the delimiter has no user name before it, so it is kept whole.
        if (cut > 0) {
            local = local.substring(0, cut);
        }
        return domain.isEmpty() ? local : local + "@" + domain;
    }

    /** Returns the local part with a quoted string's quotes and backslash escapes removed. */
    String unquotedLocalPart() {
        if (!localPart.startsWith("\"")) {
            return localPart;
        }
        StringBuilder out = new StringBuilder();
        for (int i = 1; i < localPart.length() - 1; i++) {
            char c = localPart.charAt(i);
            if (c == '\\') {
                i++;
                c = localPart.charAt(i);
            }
            out.append(c);
        }
        return out.toString();
    }

    /**
     * Parses a path at the start of {@code text}: {@code <local@domain>}, {@code <@a,@b:local@domain>},
     * {@code <>} when {@code allowNull}, or {@code <local>} when {@code domainOptional}.
     *
     * @return the path and the index just after its {@code >}
     * @throws IllegalArgumentException with the reason when the text is not such a path
     */
    static Parsed parse(String text, boolean allowNull, boolean domainOptional) {
        return new Parser(text).path(allowNull, domainOptional);
    }

    /** A parsed path and where the rest of the command line starts. */
    record Parsed(MailPath path, int end) {
    }

    private static final class Parser {

        private final String text;
        private int pos;

        Parser(String text) {
            this.text = text;
        }

        Parsed path(boolean allowNull, boolean domainOptional) {
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c < 0x20 || c == 0x7f) {
                    throw new IllegalArgumentException("control character in the address");
                }
                if (c > 0x7e) {
                    throw new IllegalArgumentException("non-ASCII address; SMTPUTF8 is not supported");
                }
            }
            expect('<', "the address must be in angle brackets, e.g. <user@example.com>");
            if (peek() == '>') {
                if (!allowNull) {
                    throw new IllegalArgumentException("empty address");
                }
                pos++;
                return new Parsed(NULL, pos);
            }
            if (peek() == '@') {
                skipSourceRoute();
            }
            String local = peek() == '"' ? quotedString() : dotString();
            String domain = "";
            if (peek() == '@') {
                pos++;
                domain = peek() == '[' ? addressLiteral() : domain();
            } else if (!domainOptional) {
                throw new IllegalArgumentException("missing @domain");
            }
            expect('>', "unexpected character after the address, expected '>'");
            return new Parsed(new MailPath(local, domain), pos);
        }

        // A-d-l = At-domain *( "," At-domain ) ":"  (RFC 5321 section 4.1.2)
        private void skipSourceRoute() {
            expect('@', "invalid source route, expected '@'");
            domain();
            while (peek() == ',') {
                pos++;
                expect('@', "invalid source route, expected '@' after ','");
                domain();
            }
            expect(':', "invalid source route, expected ':'");
        }

        private String dotString() {
            int start = pos;
            while (true) {
                int atom = pos;
                while (pos < text.length() && isAtext(text.charAt(pos))) {
                    pos++;
                }
                if (pos == atom) {
                    throw new IllegalArgumentException(pos == start ? "empty local part"
                            : "invalid local part: empty part between dots");
                }
                if (peek() != '.') {
                    return text.substring(start, pos);
                }
                pos++;
            }
        }

        private String quotedString() {
            int start = pos++;
            while (pos < text.length()) {
                char c = text.charAt(pos++);
                if (c == '"') {
                    if (pos - start == 2) {
                        throw new IllegalArgumentException("empty local part");
                    }
                    return text.substring(start, pos);
                }
                if (c == '\\') {
                    if (pos == text.length()) {
                        break;
                    }
                    pos++;
                }
            }
            throw new IllegalArgumentException("unterminated quoted local part");
        }

        private String domain() {
            int start = pos;
            while (true) {
                int label = pos;
                while (pos < text.length() && isDomainChar(text.charAt(pos))) {
                    pos++;
                }
                if (pos == label) {
                    throw new IllegalArgumentException(pos == start ? "empty domain" : "invalid domain: empty label");
                }
                if (peek() != '.') {
                    return text.substring(start, pos);
                }
                pos++;
            }
        }

        // address-literal = "[" ( IPv4 / IPv6 / General ) "]"; the content is only checked for
        // dtext characters (RFC 5321 section 4.1.3), the backend interprets it.
        private String addressLiteral() {
            int start = pos++;
            while (pos < text.length() && text.charAt(pos) != ']') {
                char c = text.charAt(pos++);
                if (c <= ' ' || c == '[' || c == '\\') {
                    throw new IllegalArgumentException("invalid character in the address literal");
                }
            }
            if (pos == text.length() || pos == start + 1) {
                throw new IllegalArgumentException("invalid address literal");
            }
            pos++;
            return text.substring(start, pos);
        }

        private char peek() {
            return pos < text.length() ? text.charAt(pos) : '\0';
        }

        private void expect(char c, String error) {
            if (peek() != c) {
                throw new IllegalArgumentException(error);
            }
            pos++;
        }
    }

    private static boolean isAtext(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || ATEXT_SPECIALS.indexOf(c) >= 0;
    }

    // RFC 5321 allows '-' only inside a label and no '_'. Dovecot 2.3's parser accepts both
    // anywhere in a label, and so does the proxy, so that it never rejects what a backend takes.
    private static boolean isDomainChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    }
}
