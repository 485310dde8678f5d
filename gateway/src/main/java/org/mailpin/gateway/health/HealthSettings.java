package org.mailpin.gateway.health;

import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;

/**
 * The {@code health:} section of the config.
 *
 * @param enabled           whether this node takes part in the health checks
 * @param interval          time between two rounds of checks
 * @param timeout           longest time one probe may take, from connect to logout; at most {@code interval}
 * @param rise              consecutive passed rounds that make an unhealthy backend healthy
 * @param fall              consecutive failed rounds that make a healthy backend unhealthy
 * @param protocols         services to probe on each backend that has a port for them; empty means every
 *                          service the backend has a port for
 * @param webmail           whether to fetch the login page of a backend's Roundcube instance
 * @param probeUser         account for a probe login over IMAP on every backend, or null for none
 * @param probePasswordFile file with the probe account's password, or null
 * @param sourceAddress     local address for probe connections (the mail proxy's {@code source-address}),
 *                          or null to let the kernel choose
 */
public record HealthSettings(boolean enabled, Duration interval, Duration timeout, int rise, int fall,
                             Set<ProbeProtocol> protocols, boolean webmail, String probeUser, Path probePasswordFile,
                             String sourceAddress) {

    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(3);
    public static final int DEFAULT_RISE = 2;
    public static final int DEFAULT_FALL = 3;

    public HealthSettings {
        protocols = protocols.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(protocols));
    }

    /** Returns the defaults: enabled, every service the backend has a port for, webmail on, no probe login. */
    public static HealthSettings defaults() {
        return new HealthSettings(true, DEFAULT_INTERVAL, DEFAULT_TIMEOUT, DEFAULT_RISE, DEFAULT_FALL, Set.of(),
                true, null, null, null);
    }

    /** Returns whether the service is probed on a backend that has a port for it. */
    public boolean probes(ProbeProtocol protocol) {
        return protocols.isEmpty() || protocols.contains(protocol);
    }
}
