package org.mailpin.director;

import java.util.Objects;

/**
 * Turns the username a client typed into the key the director stores, and that key into the
 * text the ring hashes. Every entry point (webmail, IMAP, POP3, LMTP, the CLI) goes through the
 * same instance, so {@code User01@Example.TEST}, {@code user01@example.test} and, with the default
 * domain {@code example.test}, bare {@code user01} are one user.
 *
 * <p>Lowercasing is ASCII-only, like Dovecot's {@code %L}: {@code "ÄBC"} becomes {@code "Äbc"}.
 * Full Unicode case folding would hash differently from Dovecot's director and move users.
 */
public final class UsernameNormalizer {

    /** Dovecot's default {@code director_username_hash}. */
    public static final String DEFAULT_HASH_FORMAT = "%Lu";

    /** Longest username accepted; longer input is a client error, not a user. */
    public static final int MAX_LENGTH = 255;

    private final boolean lowercase;
    private final String defaultDomain;
    private final String hashFormat;

    /**
     * @param lowercase     ASCII-lowercase the whole username
     * @param defaultDomain appended as {@code @domain} to names without {@code @}; null or empty for none
     * @param hashFormat    the ring key, in the syntax of Dovecot's {@code director_username_hash}:
     *                      {@code %u} (user), {@code %n} (part before @), {@code %d} (domain), each
     *                      optionally with {@code L} for lowercase, plus literal text
     */
    public UsernameNormalizer(boolean lowercase, String defaultDomain, String hashFormat) {
        this.lowercase = lowercase;
        if (defaultDomain != null && !defaultDomain.isBlank() && !defaultDomain.strip().matches("[^@\\s\\p{Cntrl}]+")) {
            throw new IllegalArgumentException("invalid default domain '" + escape(defaultDomain)
                    + "': expected a domain name without @, spaces or control characters, e.g. example.org");
        }
        this.defaultDomain = defaultDomain == null || defaultDomain.isBlank()
                ? null : asciiLowercase(defaultDomain.strip());
        this.hashFormat = Objects.requireNonNull(hashFormat, "hashFormat");
        validateHashFormat(hashFormat);
    }

    /** ASCII lowercase, no default domain, {@code %Lu}: Dovecot's behaviour. */
    public static UsernameNormalizer dovecotDefault() {
        return new UsernameNormalizer(true, null, DEFAULT_HASH_FORMAT);
    }

    /**
     * Returns the normalized username.
     *
     * @throws IllegalArgumentException if the name is empty, too long, or contains CR, LF, NUL or
     *                                  another control character; the message shows the value escaped
     */
    public String normalize(String username) {
        Objects.requireNonNull(username, "username");
        // Checked before trimming: a trailing CR or LF is a smuggling attempt, not whitespace.
        for (int i = 0; i < username.length(); i++) {
            char c = username.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw new IllegalArgumentException("invalid username '" + escape(username)
                        + "': control characters (CR, LF, NUL, ...) are not allowed");
            }
        }
        String name = username.strip();
        if (name.isEmpty()) {
            throw new IllegalArgumentException("invalid username '': a username must not be empty");
        }
        if (name.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("invalid username '" + escape(name.substring(0, 40))
                    + "...': longer than " + MAX_LENGTH + " characters");
        }

        if (lowercase) {
            name = asciiLowercase(name);
        }
        if (defaultDomain != null && name.indexOf('@') < 0) {
            name = name + "@" + defaultDomain;
        }
        return name;
    }

    /** Returns the text the ring hashes for a normalized username, per the hash format. */
    public String ringKey(String normalizedUser) {
        if (hashFormat.equals("%u")) {
            return normalizedUser;
        }
        if (hashFormat.equals("%Lu")) {
            return asciiLowercase(normalizedUser);
        }

        StringBuilder key = new StringBuilder();
        for (int i = 0; i < hashFormat.length(); i++) {
            char c = hashFormat.charAt(i);
            if (c != '%') {
                key.append(c);
                continue;
            }
            boolean lower = hashFormat.charAt(i + 1) == 'L';
            char variable = hashFormat.charAt(lower ? i + 2 : i + 1);
            i += lower ? 2 : 1;
            String value = switch (variable) {
                case 'u' -> normalizedUser;
                case 'n' -> beforeAt(normalizedUser);
                case 'd' -> afterAt(normalizedUser);
                case '%' -> "%";
                default -> throw new IllegalStateException("validated format has %" + variable);
            };
            key.append(lower ? asciiLowercase(value) : value);
        }
        return key.toString();
    }

    public String hashFormat() {
        return hashFormat;
    }

    public String defaultDomain() {
        return defaultDomain;
    }

    public boolean lowercase() {
        return lowercase;
    }

    /** Lowercases A-Z only, like Dovecot's {@code i_tolower}. */
    public static String asciiLowercase(String text) {
        char[] chars = text.toCharArray();
        for (int i = 0; i < chars.length; i++) {
            if (chars[i] >= 'A' && chars[i] <= 'Z') {
                chars[i] = (char) (chars[i] + ('a' - 'A'));
            }
        }
        return new String(chars);
    }

    /** Escapes control characters as {@code \r}, {@code \n}, {@code \0} or {@code \xNN} for messages. */
    public static String escape(String text) {
        StringBuilder out = new StringBuilder();
        for (char c : text.toCharArray()) {
            switch (c) {
                case '\r' -> out.append("\\r");
                case '\n' -> out.append("\\n");
                case '\0' -> out.append("\\0");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        out.append(String.format("\\x%02x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }

    private static String beforeAt(String user) {
        int at = user.indexOf('@');
        return at < 0 ? user : user.substring(0, at);
    }

    // Dovecot's i_strchr_to_next: the text after the first '@', or "" without one.
    private static String afterAt(String user) {
        int at = user.indexOf('@');
        return at < 0 ? "" : user.substring(at + 1);
    }

    private static void validateHashFormat(String format) {
        for (int i = 0; i < format.length(); i++) {
            if (format.charAt(i) != '%') {
                continue;
            }
            int next = i + 1;
            if (next < format.length() && format.charAt(next) == 'L') {
                next++;
            }
            if (next >= format.length() || "und%".indexOf(format.charAt(next)) < 0) {
                throw new IllegalArgumentException("invalid username hash format '" + format
                        + "': expected %u, %n, %d (each optionally %L...) and literal text, like "
                        + "Dovecot's director_username_hash, e.g. %Lu");
            }
            i = next;
        }
    }
}
