package org.mailpin.gateway.mail;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Waits for a line in a log file that another process writes, such as a Dovecot backend's log.
 * The file's folder is watched for changes, so the wait ends as soon as the line is written,
 * without polling on a timer.
 */
public final class LogFileWatch {

    private LogFileWatch() {
    }

    /**
     * Returns the first line after {@code offset} characters that matches, waiting up to
     * {@code timeout} for it to be written.
     *
     * @return the line, or empty when none appeared in time
     */
    public static Optional<String> awaitLine(Path file, int offset, Predicate<String> matches, Duration timeout)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (WatchService watch = FileSystems.getDefault().newWatchService()) {
            file.getParent().register(watch, StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_CREATE);
            while (true) {
                Optional<String> line = find(file, offset, matches);
                long left = deadline - System.nanoTime();
                if (line.isPresent() || left <= 0) {
                    return line;
                }
                var key = watch.poll(left, TimeUnit.NANOSECONDS);
                if (key != null) {
                    key.pollEvents();
                    key.reset();
                }
            }
        }
    }

    /** Returns the file's length in characters now, as the offset for a later {@link #awaitLine}. */
    public static int length(Path file) throws IOException {
        return Files.exists(file) ? Files.readString(file).length() : 0;
    }

    private static Optional<String> find(Path file, int offset, Predicate<String> matches) throws IOException {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        String text = Files.readString(file);
        return text.substring(Math.min(offset, text.length())).lines().filter(matches).findFirst();
    }
}
