package org.mailpin.director;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What a director needs besides its shared state.
 *
 * @param nodeName        this node's name, recorded in the assignments it creates
 * @param userExpire      how long an assignment lives after the user's last activity
 * @param webSessionIdle  how long a web session lives without a request
 * @param normalizer      username normalization and ring key
 * @param backends        the configured backends; written to the shared state when it has none of that id
 */
public record DirectorSettings(String nodeName, Duration userExpire, Duration webSessionIdle,
                               UsernameNormalizer normalizer, List<Backend> backends) {

    /** Dovecot's default {@code director_user_expire}. */
    public static final Duration DEFAULT_USER_EXPIRE = Duration.ofMinutes(15);

    public DirectorSettings {
        Objects.requireNonNull(nodeName, "nodeName");
        Objects.requireNonNull(normalizer, "normalizer");
        backends = List.copyOf(backends);
        if (userExpire.isNegative() || userExpire.isZero()) {
            throw new IllegalArgumentException("invalid user-expire " + userExpire + ": expected a positive duration");
        }
        if (webSessionIdle.isNegative() || webSessionIdle.isZero()) {
            throw new IllegalArgumentException("invalid web session idle time " + webSessionIdle
                    + ": expected a positive duration");
        }
    }
}
