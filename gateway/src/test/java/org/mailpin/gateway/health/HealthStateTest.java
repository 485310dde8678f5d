package org.mailpin.gateway.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HealthStateTest {

    private static final int RISE = 2;
    private static final int FALL = 3;

    @Test
    void healthyTurnsUnhealthyAtFall() {
        HealthState state = HealthState.initial(true);

        state = state.after(false, RISE, FALL);
        assertTrue(state.healthy(), "after 1 failure");
        state = state.after(false, RISE, FALL);
        assertTrue(state.healthy(), "after 2 failures");
        state = state.after(false, RISE, FALL);

        assertFalse(state.healthy(), "after 3 failures");
        assertEquals(3, state.failures());
        assertEquals(0, state.passes());
    }

    @Test
    void passEndsFailureStreak() {
        HealthState state = HealthState.initial(true).after(false, RISE, FALL).after(false, RISE, FALL);

        state = state.after(true, RISE, FALL);
        assertEquals(0, state.failures());
        assertEquals(1, state.passes());
        state = state.after(false, RISE, FALL).after(false, RISE, FALL);

        assertTrue(state.healthy(), "two failures after a pass are below fall 3");
        assertEquals(2, state.failures());
    }

    @Test
    void unhealthyTurnsHealthyAtRise() {
        HealthState state = HealthState.initial(false);

        state = state.after(true, RISE, FALL);
        assertFalse(state.healthy(), "after 1 pass");
        state = state.after(true, RISE, FALL);

        assertTrue(state.healthy(), "after 2 passes");
        assertEquals(2, state.passes());
    }

    @Test
    void failureEndsPassStreakWhileUnhealthy() {
        HealthState state = HealthState.initial(false).after(true, RISE, FALL);

        state = state.after(false, RISE, FALL).after(true, RISE, FALL);

        assertFalse(state.healthy(), "the streak restarted at the failure");
        assertEquals(1, state.passes());
    }

    @Test
    void unhealthyStaysUnhealthyOnFailures() {
        HealthState state = HealthState.initial(false);

        for (int i = 0; i < 10; i++) {
            state = state.after(false, RISE, FALL);
        }

        assertFalse(state.healthy());
        assertEquals(10, state.failures());
    }

    @Test
    void riseAndFallOfOneActAtOnce() {
        HealthState failed = HealthState.initial(true).after(false, 1, 1);
        HealthState passed = failed.after(true, 1, 1);

        assertFalse(failed.healthy());
        assertTrue(passed.healthy());
    }

    @Test
    void countsStopAtMaximum() {
        HealthState state = new HealthState(true, Integer.MAX_VALUE, 0);

        assertEquals(Integer.MAX_VALUE, state.after(true, RISE, FALL).passes());
    }

    @Test
    void withHealthyKeepsStreak() {
        HealthState state = new HealthState(true, 0, 2).withHealthy(false);

        assertFalse(state.healthy());
        assertEquals(2, state.failures());
    }
}
