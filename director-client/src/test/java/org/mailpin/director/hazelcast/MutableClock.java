package org.mailpin.director.hazelcast;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicReference;

/** A clock whose time changes only when a test advances it. */
final class MutableClock implements InstantSource {

    private final AtomicReference<Instant> now;

    MutableClock(Instant start) {
        this.now = new AtomicReference<>(start);
    }

    @Override
    public Instant instant() {
        return now.get();
    }

    Instant advance(Duration step) {
        return now.updateAndGet(time -> time.plus(step));
    }
}
