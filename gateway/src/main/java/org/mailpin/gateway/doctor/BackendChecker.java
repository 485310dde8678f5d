package org.mailpin.gateway.doctor;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.mailpin.director.Backend;
import org.mailpin.gateway.mail.sasl.Credentials;

/**
 * Logs in to every service of one backend in turn, within one time budget per backend.
 *
 * <p>The services and backends are checked one after another, never at once: two backends
 * opening one user's mailbox at the same time is what a director exists to prevent.
 *
 * <p>Once the backend rejects a login, the services after it are reported as not tried. Dovecot
 * delays further logins from an address after a failure (2.3.19 took 2 s for the first rejection
 * and 6 s each for the next two), so more attempts would spend the budget and end as timeouts.
 * All services of a Dovecot backend normally check one passdb, so the skipped logins would
 * normally fail the same way.
 */
public final class BackendChecker {

    private final Credentials login;
    private final Duration budget;
    private final InetAddress source;

    /**
     * @param login   the user name, already normalized as the gateway would, and the password
     * @param budget  time for all checks of one backend
     * @param source  local address for the connections (the config's {@code mail.source-address}), or null
     */
    public BackendChecker(Credentials login, Duration budget, InetAddress source) {
        this.login = login;
        this.budget = budget;
        this.source = source;
    }

    public BackendReport check(Backend backend) {
        List<ServiceCheck> checks = new ArrayList<>();
        Service rejected = null;
        try (Deadline deadline = new Deadline(budget, source)) {
            for (Service service : Service.values()) {
                int port = service.port(backend.ports());
                if (port == 0) {
                    continue;
                }
                if (rejected != null) {
                    checks.add(ServiceCheck.notTried(service, port, rejected));
                    continue;
                }
                if (deadline.expired()) {
                    checks.add(ServiceCheck.notChecked(service, port, "not checked: the "
                            + Math.max(1, budget.toSeconds()) + " s for this backend ran out"));
                    continue;
                }
                ServiceCheck check = switch (service) {
                    case IMAP -> ImapCheck.run(backend.address(), port, login, deadline);
                    case POP3 -> Pop3Check.run(backend.address(), port, login, deadline);
                    case SIEVE -> SieveCheck.run(backend.address(), port, login, deadline);
                };
                checks.add(check);
                if (check.status() == CheckStatus.REJECTED) {
                    rejected = service;
                }
            }
        }
        return new BackendReport(backend, List.copyOf(checks));
    }
}
