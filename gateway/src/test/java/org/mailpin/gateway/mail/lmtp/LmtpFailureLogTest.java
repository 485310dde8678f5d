package org.mailpin.gateway.mail.lmtp;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

/** Tests that backend failures are logged once per backend per interval. */
class LmtpFailureLogTest {

    private final AtomicLong now = new AtomicLong();
    private final BackendFailureLog failureLog = new BackendFailureLog(now::get);

    @Test
    void repeatsWithinIntervalAreCounted() {
        assertTrue(failureLog.failed("be2", "be2 (127.0.0.12:24)", "connect", "refused"), "first failure");
        now.addAndGet(BackendFailureLog.INTERVAL.toNanos() - 1);
        assertFalse(failureLog.failed("be2", "be2 (127.0.0.12:24)", "connect", "refused"), "within the interval");
        now.addAndGet(1);
        assertTrue(failureLog.failed("be2", "be2 (127.0.0.12:24)", "connect", "refused"), "after the interval");
    }

    @Test
    void backendsAreCountedApart() {
        assertTrue(failureLog.failed("be1", "be1 (127.0.0.11:24)", "connect", "refused"), "be1");
        assertTrue(failureLog.failed("be2", "be2 (127.0.0.12:24)", "connect", "refused"), "be2");
    }
}
