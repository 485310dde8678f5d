package org.mailpin.director;

/** Why a user is on the backend an assignment names. */
public enum AssignmentReason {
    /** Created from the ring on the user's first use (or after the previous assignment expired). */
    RING,
    /** Set by an administrator's move. */
    MOVED_BY_ADMIN,
    /** Re-created from the ring because the previous backend was down or removed. */
    BACKEND_DOWN;

    /** Returns the lowercase name used in JSON and logs, e.g. {@code moved-by-admin}. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}
