package org.mailpin.gateway.dovecot;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Time intervals in Dovecot 2.3 syntax, as {@code doveconf} 2.3.19 reads settings such as
 * {@code director_user_expire}: a whole number, optional spaces, and a unit that is any prefix of
 * {@code secs}, {@code seconds}, {@code mins}, {@code minutes}, {@code hours}, {@code days} or
 * {@code weeks} ({@code 60 min}, {@code 1h}, {@code 2 weeks}). Milliseconds ({@code 3000 ms}) are
 * accepted when they make whole seconds. A number other than 0 needs a unit.
 */
public final class DovecotTime {

    private static final Pattern INTERVAL = Pattern.compile("(\\d+) *([A-Za-z]*)");

    private DovecotTime() {
    }

    /**
     * Parses an interval.
     *
     * @throws IllegalArgumentException naming the value and the expected form
     */
    public static Duration parse(String text) {
        Matcher m = INTERVAL.matcher(text.strip());
        if (!m.matches()) {
            throw invalid(text);
        }
        long number;
        try {
            number = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("time interval '" + text + "' is too large");
        }
        String unit = m.group(2).toLowerCase(Locale.ROOT);
        if (unit.isEmpty()) {
            if (number != 0) {
                throw new IllegalArgumentException("time interval '" + text
                        + "' has no unit; Dovecot needs one too, e.g. " + number + " min");
            }
            return Duration.ZERO;
        }
        if (isMilliseconds(unit)) {
            if (number % 1000 != 0) {
                throw new IllegalArgumentException("time interval '" + text
                        + "' is not whole seconds; this setting takes seconds, e.g. " + (number / 1000 + 1) + " s");
            }
            return Duration.ofSeconds(number / 1000);
        }
        try {
            return Duration.ofSeconds(Math.multiplyExact(number, unitSeconds(unit, text)));
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("time interval '" + text + "' is too large");
        }
    }

    // "m" alone is minutes, as in Dovecot, which tries minutes before milliseconds.
    private static boolean isMilliseconds(String unit) {
        if (isPrefix(unit, "mins") || isPrefix(unit, "minutes")) {
            return false;
        }
        return isPrefix(unit, "msecs") || isPrefix(unit, "mseconds") || isPrefix(unit, "millisecs")
                || isPrefix(unit, "milliseconds");
    }

    private static long unitSeconds(String unit, String text) {
        if (isPrefix(unit, "secs") || isPrefix(unit, "seconds")) {
            return 1;
        }
        if (isPrefix(unit, "mins") || isPrefix(unit, "minutes")) {
            return 60;
        }
        if (isPrefix(unit, "hours")) {
            return 3600;
        }
        if (isPrefix(unit, "days")) {
            return 86400;
        }
        if (isPrefix(unit, "weeks")) {
            return 7 * 86400;
        }
        throw invalid(text);
    }

    private static boolean isPrefix(String unit, String word) {
        return word.startsWith(unit);
    }

    private static IllegalArgumentException invalid(String text) {
        return new IllegalArgumentException("invalid time interval '" + text
                + "'; expected a whole number and a unit, e.g. 60 min, 1h or 2 days");
    }
}
