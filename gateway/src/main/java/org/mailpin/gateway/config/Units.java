package org.mailpin.gateway.config;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses the durations ({@code 90s}, {@code 15m}, {@code 60min}, {@code 1h}) and sizes ({@code 35MB}) of the config. */
public final class Units {

    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|sec|secs|m|min|mins|h|hour|hours|d|days?)");
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?");

    private Units() {
    }

    /** Parses a duration such as {@code 60m}; throws IllegalArgumentException naming the value. */
    public static Duration duration(String text) {
        Matcher m = DURATION.matcher(text.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("invalid duration '" + text
                    + "': expected a number with a unit, e.g. 30s, 15m, 60min or 1h");
        }
        try {
            long amount = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(amount);
                case "s", "sec", "secs" -> Duration.ofSeconds(amount);
                case "m", "min", "mins" -> Duration.ofMinutes(amount);
                case "h", "hour", "hours" -> Duration.ofHours(amount);
                default -> Duration.ofDays(amount);
            };
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("invalid duration '" + text + "': too large");
        }
    }

    /** Formats a duration for messages: whole seconds as {@code 3 s}, anything else as {@code 800 ms}. */
    public static String format(Duration duration) {
        long millis = duration.toMillis();
        return millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms";
    }

    /** Parses a size such as {@code 35MB} (powers of 1024); throws IllegalArgumentException naming the value. */
    public static long size(String text) {
        Matcher m = SIZE.matcher(text.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("invalid size '" + text + "': expected bytes or a number with KB, MB or GB, e.g. 35MB");
        }
        String unit = m.group(2) == null ? "b" : m.group(2);
        try {
            long amount = Long.parseLong(m.group(1));
            return switch (unit.charAt(0)) {
                case 'k' -> Math.multiplyExact(amount, 1024L);
                case 'm' -> Math.multiplyExact(amount, 1024L * 1024);
                case 'g' -> Math.multiplyExact(amount, 1024L * 1024 * 1024);
                default -> amount;
            };
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("invalid size '" + text + "': too large");
        }
    }
}
