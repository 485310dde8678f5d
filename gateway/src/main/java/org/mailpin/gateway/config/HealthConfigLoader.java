package org.mailpin.gateway.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import org.mailpin.gateway.health.HealthSettings;
import org.mailpin.gateway.health.ProbeProtocol;

/** Reads the {@code health:} section: how often and how strictly the backends are checked. */
final class HealthConfigLoader {

    // Each round opens one connection per service and backend, so a shorter interval would mostly
    // load the backends' login processes.
    static final Duration MIN_INTERVAL = Duration.ofSeconds(1);
    static final Duration MIN_TIMEOUT = Duration.ofMillis(100);
    static final int MAX_COUNT = 100;

    private HealthConfigLoader() {
    }

    /** @param sourceAddress the mail proxy's {@code source-address}, which probes use too, or null */
    static HealthSettings health(Section s, String sourceAddress) {
        s.allowOnly("enabled", "interval", "timeout", "rise", "fall", "protocols", "webmail", "probe-user",
                "probe-password-file");
        HealthSettings defaults = HealthSettings.defaults();

        Duration interval = s.duration("interval", defaults.interval());
        if (interval.compareTo(MIN_INTERVAL) < 0 || interval.compareTo(Duration.ofHours(1)) > 0) {
            throw s.error(s.key("interval"), "must be from 1s to 1h, e.g. 5s");
        }
        Duration timeout = s.duration("timeout", defaults.timeout());
        if (timeout.compareTo(MIN_TIMEOUT) < 0) {
            throw s.error(s.key("timeout"), "must be at least 100ms, e.g. 3s");
        }
        if (timeout.compareTo(interval) > 0) {
            throw s.error(s.key("timeout"), "must not exceed health.interval (" + Units.format(interval)
                    + "), because a round has to finish before the next one starts");
        }

        String probeUser = s.string("probe-user", null);
        Path probePasswordFile = s.path("probe-password-file");
        if ((probeUser == null) != (probePasswordFile == null)) {
            throw s.error(s.key(probeUser == null ? "probe-user" : "probe-password-file"),
                    "missing; a probe login needs both probe-user and probe-password-file");
        }
        if (probeUser != null && probeUser.isBlank()) {
            throw s.error(s.key("probe-user"), "must not be empty; expected an account that exists on every backend");
        }

        return new HealthSettings(s.bool("enabled", true), interval, timeout,
                s.integer("rise", defaults.rise(), 1, MAX_COUNT), s.integer("fall", defaults.fall(), 1, MAX_COUNT),
                protocols(s), s.bool("webmail", true), probeUser, probePasswordFile, sourceAddress);
    }

    private static Set<ProbeProtocol> protocols(Section s) {
        List<String> names = s.strings("protocols", List.of());
        if (s.has("protocols") && names.isEmpty()) {
            throw s.error(s.key("protocols"), "empty list; leave the key out to probe every service a backend "
                    + "has a port for, or list some of imap, pop3, sieve, submission, lmtp");
        }
        Set<ProbeProtocol> protocols = EnumSet.noneOf(ProbeProtocol.class);
        for (String name : names) {
            ProbeProtocol protocol;
            try {
                protocol = ProbeProtocol.parse(name);
            } catch (IllegalArgumentException e) {
                throw s.error(s.key("protocols"), e.getMessage());
            }
            if (!protocols.add(protocol)) {
                throw s.error(s.key("protocols"), "duplicate entry '" + name + "'");
            }
        }
        return protocols;
    }
}
