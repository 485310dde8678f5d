package org.mailpin.gateway.doctor;

/**
 * The user's current assignment as a running gateway's admin API reports it.
 *
 * @param assigned    false when the user has no assignment now
 * @param backend     id of the assigned backend, or null
 * @param reason      why the user is there, e.g. {@code ring} or {@code moved-by-admin}, or null
 * @param since       when the assignment was created (ISO 8601), or null
 * @param ringChoice  the backend the running cluster's ring picks now, which reflects vhost and
 *                    up/down changes made since the config was written, or null when none
 */
public record Assignment(boolean assigned, String backend, String reason, String since, String ringChoice) {
}
