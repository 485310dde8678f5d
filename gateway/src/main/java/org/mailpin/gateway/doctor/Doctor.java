package org.mailpin.gateway.doctor;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.mailpin.director.Backend;
import org.mailpin.director.IpAddresses;
import org.mailpin.director.UsernameNormalizer;
import org.mailpin.director.ring.DovecotRing;
import org.mailpin.gateway.config.GatewayConfig;
import org.mailpin.gateway.config.GatewayConfig.DirectorSection;
import org.mailpin.gateway.mail.sasl.Credentials;

/**
 * Logs a user in directly on every configured backend and compares what they reply. The user
 * name is normalized as the gateway would before it reaches a backend, and connections leave from
 * {@code mail.source-address} when it is set, so the backends see what the gateway's proxies
 * would show them.
 */
public final class Doctor {

    private final GatewayConfig config;
    private final Duration budget;
    private final boolean askAdminApi;

    /**
     * @param budget       time for all checks of one backend
     * @param askAdminApi  whether to ask the config's admin API for the user's assignment
     */
    public Doctor(GatewayConfig config, Duration budget, boolean askAdminApi) {
        this.config = config;
        this.budget = budget;
        this.askAdminApi = askAdminApi;
    }

    /**
     * Normalizes a user name as the gateway does.
     *
     * @throws IllegalArgumentException when the name is empty, too long or has control characters
     */
    public String normalize(String user) {
        return normalizer().normalize(user);
    }

    /**
     * Checks every backend for one user.
     *
     * @param user      the normalized user name, see {@link #normalize}
     * @param password  the user's password; it is sent to the backends only
     */
    public DoctorReport run(String user, String password) {
        InetAddress source = config.mail().sourceAddress() == null ? null
                : IpAddresses.parse(config.mail().sourceAddress());
        BackendChecker checker = new BackendChecker(Credentials.of(user, password), budget, source);
        List<BackendReport> reports = new ArrayList<>();
        for (Backend backend : config.backends()) {
            reports.add(checker.check(backend));
        }

        Backend ringChoice = DovecotRing.of(config.backends()).lookup(normalizer().ringKey(user)).orElse(null);
        Assignment assignment = askAdminApi ? AdminLookup.assignment(config.admin(), user).orElse(null) : null;
        return new DoctorReport(user, ringChoice, assignment, List.copyOf(reports), Comparison.findings(reports));
    }

    private UsernameNormalizer normalizer() {
        DirectorSection director = config.director();
        return new UsernameNormalizer(director.lowercase(), director.defaultDomain(), director.hashFormat());
    }
}
