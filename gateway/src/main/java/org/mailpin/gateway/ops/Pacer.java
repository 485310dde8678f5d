package org.mailpin.gateway.ops;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Spaces actions evenly at a given rate per second. Bulk kicks use it so that the users they
 * disconnect reconnect as a steady stream instead of one wave on the remaining backends.
 */
public final class Pacer {

    private final long intervalNanos;
    private long next;

    /** @param perSecond actions per second, at least 1 */
    public Pacer(int perSecond) {
        if (perSecond < 1) {
            throw new IllegalArgumentException("rate must be at least 1 per second, got " + perSecond);
        }
        this.intervalNanos = TimeUnit.SECONDS.toNanos(1) / perSecond;
        this.next = System.nanoTime();
    }

    /** Waits until the next action is due; returns false when the thread was interrupted. */
    public boolean await() {
        long now = System.nanoTime();
        if (next > now) {
            LockSupport.parkNanos(next - now);
            if (Thread.currentThread().isInterrupted()) {
                return false;
            }
        }
        // Catching up after a slow action is fine, but never by more than one action.
        next = Math.max(next, System.nanoTime() - intervalNanos) + intervalNanos;
        return !Thread.currentThread().isInterrupted();
    }
}
