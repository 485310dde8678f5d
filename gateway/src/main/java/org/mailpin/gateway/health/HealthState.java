package org.mailpin.gateway.health;

/**
 * A backend's health with its streak of consecutive passed or failed rounds. Only one of
 * {@code passes} and {@code failures} is above 0: a pass ends a failure streak and the reverse.
 *
 * @param healthy  the backend's health flag after the latest round
 * @param passes   consecutive passed rounds up to now
 * @param failures consecutive failed rounds up to now
 */
public record HealthState(boolean healthy, int passes, int failures) {

    /** Returns the state of a backend with the given flag and no rounds counted yet. */
    public static HealthState initial(boolean healthy) {
        return new HealthState(healthy, 0, 0);
    }

    /**
     * Returns the state after one more round: a healthy backend turns unhealthy at its
     * {@code fall}-th consecutive failure, an unhealthy one turns healthy at its {@code rise}-th
     * consecutive pass. Counts stop at {@link Integer#MAX_VALUE}.
     */
    public HealthState after(boolean passed, int rise, int fall) {
        if (passed) {
            int streak = passes == Integer.MAX_VALUE ? passes : passes + 1;
            return new HealthState(healthy || streak >= rise, streak, 0);
        }
        int streak = failures == Integer.MAX_VALUE ? failures : failures + 1;
        return new HealthState(healthy && streak < fall, 0, streak);
    }

    /** Returns this state with the flag another writer set, keeping the streak. */
    public HealthState withHealthy(boolean flag) {
        return new HealthState(flag, passes, failures);
    }
}
