package org.mailpin.director;

import java.time.Instant;

/**
 * One administrative or health event, kept cluster-wide for the dashboard and for support:
 * moves, kicks, flushes, backend changes and health transitions.
 *
 * @param time    when the node recorded it
 * @param node    the node that recorded it
 * @param type    {@code move}, {@code kick}, {@code flush}, {@code backend} or {@code health}
 * @param subject the user or backend id it is about
 * @param detail  one human-readable line
 */
public record ClusterEvent(Instant time, String node, String type, String subject, String detail) {
}
