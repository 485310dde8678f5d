package org.mailpin.gateway.health;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.mailpin.director.Backend;
import org.mailpin.gateway.config.Units;

/**
 * The checks configured for each backend: one {@link MailProbe} per service that the settings
 * select and the backend has a port for, the probe login, and the login page of the backend's
 * Roundcube instance. All checks of a round run at once, so a round takes about one timeout at
 * most, however many services and backends there are.
 */
public final class BackendProbes implements BackendChecks {

    // Time a check may take beyond its own timeout before the round stops waiting for it: each
    // probe enforces the timeout itself, so only a probe stuck outside its socket calls needs it.
    static final Duration GRACE = Duration.ofMillis(500);

    /**
     * One check of one backend.
     *
     * @param label names the check, e.g. {@code imap}, {@code probe login} or {@code webmail rc1}
     */
    public record Check(String label, Action action) {
    }

    /** The work of a check: returns normally when it passes. */
    @FunctionalInterface
    public interface Action {
        void run() throws ProbeFailedException;
    }

    private final HealthSettings settings;
    private final MailProbe mail;
    private final LoginProbe login;
    private final WebmailProbe webmail;
    private final Map<String, URI> roundcube;

    /**
     * @param login     the probe login, or null when no probe account is configured
     * @param roundcube the Roundcube instances' URLs by id, for backends with a {@code webmail} instance
     */
    public BackendProbes(HealthSettings settings, MailProbe mail, LoginProbe login, WebmailProbe webmail,
                         Map<String, URI> roundcube) {
        this.settings = settings;
        this.mail = mail;
        this.login = login;
        this.webmail = webmail;
        this.roundcube = Map.copyOf(roundcube);
    }

    /** Returns the checks that a round runs on the backend, in a fixed order. */
    public List<Check> checks(Backend backend) {
        List<Check> checks = new ArrayList<>();
        for (ProbeProtocol protocol : ProbeProtocol.values()) {
            int port = protocol.port(backend.ports());
            if (port != 0 && settings.probes(protocol)) {
                checks.add(new Check(protocol.label(), () -> mail.check(protocol, backend.address(), port)));
            }
        }
        if (login != null && backend.ports().imap() != 0) {
            checks.add(new Check("probe login", () -> login.check(backend.address(), backend.ports().imap())));
        }
        URI page = backend.webmail() == null ? null : roundcube.get(backend.webmail());
        if (settings.webmail() && page != null) {
            checks.add(new Check("webmail " + backend.webmail(), () -> webmail.check(backend.webmail(), page)));
        }
        return checks;
    }

    /** Runs every check of the backend at once; the failure reasons come in the order of {@link #checks}. */
    @Override
    public List<String> run(Backend backend, ExecutorService executor) throws InterruptedException {
        List<Check> checks = checks(backend);
        List<Future<String>> results = new ArrayList<>();
        for (Check check : checks) {
            results.add(executor.submit(() -> {
                try {
                    check.action().run();
                    return null;
                } catch (ProbeFailedException e) {
                    return e.getMessage();
                }
            }));
        }

        long deadline = System.nanoTime() + settings.timeout().plus(GRACE).toNanos();
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < checks.size(); i++) {
            String failure = await(results.get(i), checks.get(i).label(), deadline);
            if (failure != null) {
                failures.add(failure);
            }
        }
        return failures;
    }

    private String await(Future<String> result, String label, long deadline) throws InterruptedException {
        try {
            return result.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            result.cancel(true);
            return label + ": no result after " + Units.format(settings.timeout()) + " (the probe ignored its timeout)";
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            return label + ": check failed: " + cause;
        } catch (CancellationException e) {
            return label + ": check cancelled";
        }
    }
}
