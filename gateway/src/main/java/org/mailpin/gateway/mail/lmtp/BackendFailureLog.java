package org.mailpin.gateway.mail.lmtp;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs failing backends at WARN, at most once per backend per interval. While a backend is down,
 * every delivery to it fails, and one line per transaction would flood the log; the per-recipient
 * INFO lines still record each deferred recipient. Shared by all LMTP sessions of a node.
 */
final class BackendFailureLog {

    private static final Logger log = LoggerFactory.getLogger(BackendFailureLog.class);

    /** How often a WARN line is written for one backend while it keeps failing. */
    static final Duration INTERVAL = Duration.ofMinutes(1);

    private final LongSupplier nanoTime;
    private final Map<String, Window> windows = new ConcurrentHashMap<>();

    private record Window(long startNanos, int suppressed) {
    }

    BackendFailureLog(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
    }

    /**
     * Logs that a backend failed, or counts the failure if one was logged within the interval.
     *
     * @return true if a WARN line was written
     */
    boolean failed(String backendId, String description, String phase, String error) {
        long now = nanoTime.getAsLong();
        Window[] previous = new Window[1];
        Window window = windows.compute(backendId, (id, old) -> {
            previous[0] = old;
            if (old != null && now - old.startNanos() < INTERVAL.toNanos()) {
                return new Window(old.startNanos(), old.suppressed() + 1);
            }
            return new Window(now, 0);
        });
        if (window.suppressed() > 0) {
            log.debug("backend {} failed during {}: {}", description, phase, error);
            return false;
        }
        int suppressed = previous[0] == null ? 0 : previous[0].suppressed();
        log.warn("backend {} failed during {}: {}; its recipients in the transaction were deferred with 451{}",
                description, phase, error,
                suppressed == 0 ? "" : " (" + suppressed + " more failures since the last warning were not logged)");
        return true;
    }
}
