package org.mailpin.gateway.health;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Health of one backend as the checking node publishes it after each round, for the admin API of
 * every node.
 *
 * @param backend         backend id
 * @param healthy         the health flag the checker set
 * @param passes          consecutive passed rounds
 * @param failures        consecutive failed rounds
 * @param lastCheck       end of the latest round
 * @param lastFailure     reason of the latest failed round, kept after later passes; null when none was seen
 * @param lastFailureTime when that round ended, or null
 * @param checker         node that ran the latest round
 * @param history         the latest rounds, oldest first, at most {@link #HISTORY} of them
 */
public record HealthRecord(String backend, boolean healthy, int passes, int failures, Instant lastCheck,
                           String lastFailure, Instant lastFailureTime, String checker, List<Round> history) {

    /** Rounds kept per backend: a minute and a half at the default 5 s interval. */
    public static final int HISTORY = 20;

    /**
     * One round's result.
     *
     * @param time   when the round ended
     * @param passed whether every check passed
     * @param reason the failure reasons joined by {@code "; "}, or null for a pass
     */
    public record Round(Instant time, boolean passed, String reason) {
    }

    public HealthRecord {
        history = List.copyOf(history);
    }

    /** Returns the state the counting continues from. */
    public HealthState state() {
        return new HealthState(healthy, passes, failures);
    }

    /** Returns the record after a round that ended in {@code state}, with the round appended to the history. */
    public static HealthRecord next(HealthRecord previous, String backend, HealthState state, Round round,
                                    String checker) {
        List<Round> history = new ArrayList<>(previous == null ? List.of() : previous.history());
        history.add(round);
        if (history.size() > HISTORY) {
            history = history.subList(history.size() - HISTORY, history.size());
        }
        String lastFailure = round.reason();
        Instant lastFailureTime = round.time();
        if (round.passed()) {
            lastFailure = previous == null ? null : previous.lastFailure();
            lastFailureTime = previous == null ? null : previous.lastFailureTime();
        }
        return new HealthRecord(backend, state.healthy(), state.passes(), state.failures(), round.time(), lastFailure,
                lastFailureTime, checker, history);
    }
}
