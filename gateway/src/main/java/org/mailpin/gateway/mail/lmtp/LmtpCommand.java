package org.mailpin.gateway.mail.lmtp;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One client command line split into its verb and argument, with the parsers for the arguments
 * of MAIL FROM and RCPT TO. The proxy never forwards a client's line: it sends backends commands
 * rebuilt from what these parsers accepted.
 *
 * @param verb      the command name in upper case, e.g. {@code RCPT}
 * @param argument  everything after the first space, or "" when there is none
 */
record LmtpCommand(String verb, String argument) {

    /** Longest SIZE value accepted: 20 digits hold any 64-bit byte count. */
    private static final int MAX_SIZE_DIGITS = 20;

    /**
     * Splits a command line.
     *
     * @throws CommandRejectedException on a control character such as NUL, or a verb that is not letters
     */
    static LmtpCommand parse(String line) throws CommandRejectedException {
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw new CommandRejectedException(LmtpReply.of(500, "5.5.2", "Invalid character in the command line"));
            }
        }
        int space = line.indexOf(' ');
        String verb = space < 0 ? line : line.substring(0, space);
        if (verb.isEmpty() || !verb.chars().allMatch(c -> (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) {
            throw new CommandRejectedException(LmtpReply.of(500, "5.5.2", "Invalid command syntax"));
        }
        return new LmtpCommand(verb.toUpperCase(Locale.ROOT), space < 0 ? "" : line.substring(space + 1));
    }

    /**
     * Parses {@code FROM:<path> [parameters]}. The null path {@code <>} is allowed; SIZE (digits)
     * and BODY (7BIT or 8BITMIME) are the only parameters.
     */
    PathArgument mailFrom() throws CommandRejectedException {
        PathArgument parsed = pathArgument("FROM:", "MAIL FROM:<address> [parameters]", true, "5.1.7", "sender");
        for (Parameter parameter : parsed.parameters()) {
            checkMailParameter(parameter);
        }
        return parsed;
    }

    /**
     * Parses {@code TO:<path>}. A local part without a domain is allowed, as in Dovecot's LMTP.
     * RCPT parameters belong to extensions the proxy does not offer (DSN), so none is accepted.
     */
    PathArgument rcptTo() throws CommandRejectedException {
        PathArgument parsed = pathArgument("TO:", "RCPT TO:<address>", false, "5.1.3", "recipient");
        if (!parsed.parameters().isEmpty()) {
            throw new CommandRejectedException(LmtpReply.of(555, "5.5.4",
                    "Unsupported RCPT parameter " + parsed.parameters().get(0).keyword()));
        }
        return parsed;
    }

    private PathArgument pathArgument(String prefix, String syntax, boolean sender, String enhancedCode, String role)
            throws CommandRejectedException {
        if (!argument.regionMatches(true, 0, prefix, 0, prefix.length())) {
            throw CommandRejectedException.syntax("5.5.4", "Syntax: " + syntax);
        }
        String rest = argument.substring(prefix.length());
        if (rest.startsWith(" ") || rest.startsWith("\t")) {
            throw CommandRejectedException.syntax("5.5.4", "Unexpected whitespace before the address; syntax: " + syntax);
        }
        MailPath.Parsed parsed;
        try {
            parsed = MailPath.parse(rest, sender, !sender);
        } catch (IllegalArgumentException e) {
            throw CommandRejectedException.syntax(enhancedCode, "Invalid " + role + " address: " + e.getMessage());
        }
        String tail = rest.substring(parsed.end());
        if (tail.isEmpty()) {
            return new PathArgument(parsed.path(), List.of());
        }
        if (!tail.startsWith(" ")) {
            throw CommandRejectedException.syntax(enhancedCode, "Invalid " + role + " address: unexpected text after '>'");
        }
        return new PathArgument(parsed.path(), parameters(tail.substring(1)));
    }

    // Mail-parameters = esmtp-param *(SP esmtp-param)  (RFC 5321 section 4.1.2)
    private static List<Parameter> parameters(String text) throws CommandRejectedException {
        List<Parameter> parameters = new ArrayList<>();
        for (String item : text.split(" ", -1)) {
            Parameter parameter = Parameter.parse(item);
            if (parameters.stream().anyMatch(p -> p.keyword().equals(parameter.keyword()))) {
                throw CommandRejectedException.syntax("5.5.4", "Duplicate parameter " + parameter.keyword());
            }
            parameters.add(parameter);
        }
        return parameters;
    }

    private static void checkMailParameter(Parameter parameter) throws CommandRejectedException {
        String value = parameter.value() == null ? "" : parameter.value();
        switch (parameter.keyword()) {
            case "SIZE" -> {
                if (value.isEmpty() || value.length() > MAX_SIZE_DIGITS || !value.chars().allMatch(Character::isDigit)) {
                    throw CommandRejectedException.syntax("5.5.4", "Invalid SIZE parameter: expected a number of bytes");
                }
            }
            case "BODY" -> {
                if (!value.equalsIgnoreCase("7BIT") && !value.equalsIgnoreCase("8BITMIME")) {
                    throw new CommandRejectedException(LmtpReply.of(555, "5.5.4",
                            "Unsupported BODY parameter: expected 7BIT or 8BITMIME"));
                }
            }
            default -> throw new CommandRejectedException(LmtpReply.of(555, "5.5.4",
                    "Unsupported MAIL parameter " + parameter.keyword()));
        }
    }

    /** A MAIL FROM or RCPT TO argument: the path and its parameters in the order given. */
    record PathArgument(MailPath path, List<Parameter> parameters) {

        PathArgument {
            parameters = List.copyOf(parameters);
        }
    }

    /**
     * One ESMTP parameter.
     *
     * @param keyword  upper case, e.g. {@code BODY}
     * @param value    as written, or null for a keyword alone
     */
    record Parameter(String keyword, String value) {

        // esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-"); esmtp-value = 1*(%d33-60 / %d62-126)
        static Parameter parse(String text) throws CommandRejectedException {
            int equals = text.indexOf('=');
            String keyword = equals < 0 ? text : text.substring(0, equals);
            String value = equals < 0 ? null : text.substring(equals + 1);
            boolean keywordValid = !keyword.isEmpty() && Character.isLetterOrDigit(keyword.charAt(0))
                    && keyword.chars().allMatch(c -> c < 0x80 && (Character.isLetterOrDigit(c) || c == '-'));
            if (!keywordValid) {
                throw CommandRejectedException.syntax("5.5.4", "Invalid parameter '" + text + "'");
            }
            boolean valueValid = value == null
                    || (!value.isEmpty() && value.chars().allMatch(c -> c >= 33 && c <= 126 && c != '='));
            if (!valueValid) {
                throw CommandRejectedException.syntax("5.5.4", "Invalid value of parameter " + keyword);
            }
            return new Parameter(keyword.toUpperCase(Locale.ROOT), value);
        }

        /** Returns the parameter as sent to a backend, e.g. {@code BODY=8BITMIME}. */
        String text() {
            return value == null ? keyword : keyword + "=" + value;
        }
    }
}
