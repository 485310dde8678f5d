package org.mailpin.gateway.ops;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.Test;

class PacerTest {

    @Test
    void spacesActionsAtTheRate() {
        Pacer pacer = new Pacer(50);
        long start = System.nanoTime();

        for (int i = 0; i < 11; i++) {
            pacer.await();
        }

        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertTrue(took.toMillis() >= 190, "11 actions at 50/s took only " + took.toMillis() + " ms");
    }

    @Test
    void rejectsRateBelowOne() {
        assertThrows(IllegalArgumentException.class, () -> new Pacer(0));
    }
}
