package org.mailpin.gateway.metrics;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.DoublePredicate;
import java.util.function.Supplier;

/**
 * The samples of one scrape in the Prometheus text format, by series: the metric name with its
 * labels exactly as written, e.g. {@code mailpin_logins_total{protocol="imap",result="ok"}}.
 */
public final class Samples {

    private final Map<String, Double> values = new LinkedHashMap<>();
    private final String text;

    private Samples(String text) {
        this.text = text;
    }

    /** Parses a scrape, skipping comment lines and blank lines. */
    public static Samples parse(String text) {
        Samples samples = new Samples(text);
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            samples.values.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
        }
        return samples;
    }

    /** Returns the value of a series, or empty when the scrape does not contain it. */
    public OptionalDouble value(String series) {
        Double value = values.get(series);
        return value == null ? OptionalDouble.empty() : OptionalDouble.of(value);
    }

    /** Returns the value of a series, or fails naming the series and the scrape's series of that metric. */
    public double require(String series) {
        Double value = values.get(series);
        if (value == null) {
            String name = series.contains("{") ? series.substring(0, series.indexOf('{')) : series;
            throw new AssertionError("no series " + series + " in the scrape; series of " + name + ": "
                    + values.keySet().stream().filter(s -> s.startsWith(name)).toList());
        }
        return value;
    }

    /**
     * Scrapes until the series has a value that {@code done} accepts or the wait is over, and
     * returns its last value. Meters recorded on another thread, such as a relay's byte count
     * after its write, may lag behind what the client already received.
     */
    public static double await(Supplier<String> scrape, String series, DoublePredicate done, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            double value = parse(scrape.get()).require(series);
            if (done.test(value) || System.nanoTime() > deadline) {
                return value;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    public boolean has(String series) {
        return values.containsKey(series);
    }

    public String text() {
        return text;
    }
}
