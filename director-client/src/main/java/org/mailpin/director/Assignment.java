package org.mailpin.director;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * A user's current backend. Created from the ring on first use and kept (sticky) while the user
 * is active, so a weight change or a new backend never moves a user in the middle of a session.
 *
 * @param user         normalized username
 * @param backendId    id of the backend the user is on
 * @param reason       why the user is there
 * @param since        when this assignment was created
 * @param lastActivity last activity seen by any node; the assignment expires {@code user-expire} after it
 * @param node         name of the gateway node that created the assignment
 */
public record Assignment(String user, String backendId, AssignmentReason reason, Instant since,
                         Instant lastActivity, String node) {

    public Assignment {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(backendId, "backendId");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(since, "since");
        Objects.requireNonNull(lastActivity, "lastActivity");
        node = node == null ? "" : node;
    }

    /** Returns the instant after which the assignment no longer binds the user. */
    public Instant expiresAt(Duration userExpire) {
        return lastActivity.plus(userExpire);
    }

    public boolean isExpired(Instant now, Duration userExpire) {
        return now.isAfter(expiresAt(userExpire));
    }

    public Assignment touchedAt(Instant now) {
        return new Assignment(user, backendId, reason, since, now, node);
    }
}
