package org.mailpin.gateway.metrics;

import java.time.Duration;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.mailpin.director.Assignment;
import org.mailpin.director.Backend;
import org.mailpin.gateway.mail.LiveConnections;
import org.mailpin.gateway.mail.Protocol;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * The meters of one gateway node in a Prometheus registry, and the narrow methods the proxies,
 * the web gateway and the director wiring call to record them. {@link #scrape()} renders the
 * registry for {@code GET /metrics} on the admin listener. docs/metrics.md lists every meter.
 *
 * <p>Label values come from fixed sets (protocols, results, directions, status classes, reasons)
 * or from the configured backend ids, never from a user name or an address, so the number of
 * series stays bounded whatever the clients send. Meters with a fixed label set are registered
 * up front, so they show 0 before their first event.
 */
public final class GatewayMetrics implements AutoCloseable {

    /** The content type of {@link #scrape()}: Prometheus text format 0.0.4. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    static final String WEB = "web";
    static final List<String> LOGIN_PROTOCOLS = List.of("imap", "pop3", "sieve", "submission", WEB);

    // Fixed buckets keep the login histogram at 14 series per protocol and result, where a
    // percentile histogram would have about 70. A mail login waits up to 10 s to connect and
    // 30 s per backend reply, and Dovecot 2.3 delays a failed login by auth_failure_delay (2 s).
    private static final Duration[] LOGIN_BUCKETS = Stream.of(5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000,
            10_000, 30_000, 60_000).map(Duration::ofMillis).toArray(Duration[]::new);
    // The default web.proxy-timeout; a longer configured timeout only fills the +Inf bucket.
    private static final Duration WEB_REQUEST_MAX = Duration.ofSeconds(120);
    private static final Duration WEB_REQUEST_MIN = Duration.ofMillis(1);

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<String, Map<LoginResult, Counter>> logins = new HashMap<>();
    private final Map<String, Map<Direction, LongAdder>> proxyBytes = new HashMap<>();
    private final Map<LmtpResult, Counter> lmtpDeliveries = new EnumMap<>(LmtpResult.class);
    private final ClusterGauges clusterGauges;
    private JvmGcMetrics gcMetrics;

    /** Creates the gateway's meters without the JVM and process meters, as unit tests need. */
    public GatewayMetrics() {
        for (String protocol : LOGIN_PROTOCOLS) {
            Map<LoginResult, Counter> byResult = new EnumMap<>(LoginResult.class);
            for (LoginResult result : LoginResult.values()) {
                byResult.put(result, Counter.builder("mailpin.logins")
                        .description("Login attempts by protocol and outcome")
                        .tags("protocol", protocol, "result", result.label())
                        .register(registry));
            }
            logins.put(protocol, byResult);
        }
        for (String protocol : ClusterGauges.RELAYED_PROTOCOLS) {
            Map<Direction, LongAdder> byDirection = new EnumMap<>(Direction.class);
            for (Direction direction : Direction.values()) {
                LongAdder bytes = new LongAdder();
                FunctionCounter.builder("mailpin.proxy.bytes", bytes, LongAdder::doubleValue)
                        .description("Bytes relayed between clients and backends after login")
                        .baseUnit(BaseUnits.BYTES)
                        .tags("protocol", protocol, "direction", direction.label())
                        .register(registry);
                byDirection.put(direction, bytes);
            }
            proxyBytes.put(protocol, byDirection);
        }
        for (LmtpResult result : LmtpResult.values()) {
            lmtpDeliveries.put(result, Counter.builder("mailpin.lmtp.deliveries")
                    .description("LMTP recipients by final outcome")
                    .tag("result", result.label())
                    .register(registry));
        }
        for (String scope : List.of("backend", "all")) {
            kicks(scope);
            kickedConnections(scope);
        }
        clusterGauges = new ClusterGauges(registry);
    }

    /** Creates the gateway's meters plus JVM memory, GC, thread, CPU and uptime meters. */
    public static GatewayMetrics withJvmMetrics() {
        GatewayMetrics metrics = new GatewayMetrics();
        new JvmMemoryMetrics().bindTo(metrics.registry);
        new JvmThreadMetrics().bindTo(metrics.registry);
        new ProcessorMetrics().bindTo(metrics.registry);
        new UptimeMetrics().bindTo(metrics.registry);
        // The GC meters listen for JMX notifications until closed.
        metrics.gcMetrics = new JvmGcMetrics();
        metrics.gcMetrics.bindTo(metrics.registry);
        return metrics;
    }

    /** Counts a login that ended before any backend was tried: rejected, no backend, or a director error. */
    public void recordLogin(Protocol protocol, LoginResult result) {
        loginCounter(label(protocol), result).increment();
    }

    /**
     * Counts a login that was sent to a backend or failed on the way there, and records its
     * latency from the director lookup to the backend's reply.
     */
    public void recordBackendLogin(Protocol protocol, LoginResult result, long startNanos) {
        recordBackendLogin(label(protocol), result, startNanos);
    }

    public void recordWebLogin(LoginResult result) {
        loginCounter(WEB, result).increment();
    }

    /** Counts a webmail login that reached Roundcube and records the time until its response. */
    public void recordWebBackendLogin(LoginResult result, long startNanos) {
        recordBackendLogin(WEB, result, startNanos);
    }

    private void recordBackendLogin(String protocol, LoginResult result, long startNanos) {
        long elapsed = System.nanoTime() - startNanos;
        loginCounter(protocol, result).increment();
        if (result.reachedBackend()) {
            Timer.builder("mailpin.backend.login")
                    .description("Time from the director lookup to the backend's login reply")
                    .tags("protocol", protocol, "result", result.label())
                    .serviceLevelObjectives(LOGIN_BUCKETS)
                    .register(registry)
                    .record(elapsed, TimeUnit.NANOSECONDS);
        }
    }

    private Counter loginCounter(String protocol, LoginResult result) {
        Map<LoginResult, Counter> byResult = logins.get(protocol);
        if (byResult == null) {
            throw new IllegalArgumentException(protocol + " has no logins");
        }
        return byResult.get(result);
    }

    /**
     * Returns the counter that a relay direction adds its byte counts to, once per buffer. The
     * LongAdder behind it spreads concurrent adds from the relay threads over cells, so they
     * rarely contend.
     *
     * @throws IllegalArgumentException for LMTP, which is not relayed
     */
    public LongConsumer proxyBytes(Protocol protocol, Direction direction) {
        Map<Direction, LongAdder> byDirection = proxyBytes.get(label(protocol));
        if (byDirection == null) {
            throw new IllegalArgumentException(protocol.label() + " connections are not relayed");
        }
        return byDirection.get(direction)::add;
    }

    /** Records one request of the public web listener, from its arrival until its response completed. */
    public void recordWebRequest(int status, long startNanos) {
        long elapsed = System.nanoTime() - startNanos;
        Timer.builder("mailpin.web.requests")
                .description("Web gateway requests by status class, from arrival to the end of the response")
                .tag("status", statusClass(status))
                .publishPercentileHistogram()
                .minimumExpectedValue(WEB_REQUEST_MIN)
                .maximumExpectedValue(WEB_REQUEST_MAX)
                .register(registry)
                .record(elapsed, TimeUnit.NANOSECONDS);
    }

    /** Counts an LMTP recipient's final reply: 2xx delivered, 4xx deferred, 5xx rejected. */
    public void recordLmtpDelivery(int replyCode) {
        LmtpResult result = replyCode >= 500 ? LmtpResult.REJECTED
                : replyCode >= 400 ? LmtpResult.DEFERRED : LmtpResult.DELIVERED;
        lmtpDeliveries.get(result).increment();
    }

    /** Counts an accepted LMTP recipient whose transaction ended before the message was delivered. */
    public void recordLmtpUnfinished() {
        lmtpDeliveries.get(LmtpResult.UNFINISHED).increment();
    }

    /**
     * Counts an assignment this node wrote, and a move when it replaced one on another backend.
     *
     * @param previous the assignment it replaced, or null for a user without one
     */
    public void recordAssignment(Assignment created, Assignment previous) {
        String reason = created.reason().label();
        // Not "assignments.created": the Prometheus client 1.7 drops a "_created" suffix from a
        // counter name, because OpenMetrics reserves it for the counter's creation time.
        Counter.builder("mailpin.assignments")
                .description("Assignments this node wrote, by reason")
                .tag("reason", reason)
                .register(registry)
                .increment();
        if (previous != null && !previous.backendId().equals(created.backendId())) {
            Counter.builder("mailpin.assignment.moves")
                    .description("Assignments this node moved to another backend, by reason")
                    .tag("reason", reason)
                    .register(registry)
                    .increment();
        }
    }

    /**
     * Counts a kick this node received and the connections it closed for it.
     *
     * @param backendId the backend the kick names, or null for every backend
     */
    public void recordKick(String backendId, int closedConnections) {
        String scope = backendId == null ? "all" : "backend";
        kicks(scope).increment();
        kickedConnections(scope).increment(closedConnections);
    }

    /** Counts the connections this node closed because their backend stopped taking users. */
    public void recordDrained(String backendId, int closedConnections) {
        Counter.builder("mailpin.drained.connections")
                .description("Proxied connections this node closed because their backend went down, "
                        + "became unhealthy or was removed")
                .tag("backend", backendId)
                .register(registry)
                .increment(closedConnections);
    }

    private Counter kicks(String scope) {
        return Counter.builder("mailpin.kicks")
                .description("Kicks received by this node, for one backend or for all")
                .tag("scope", scope)
                .register(registry);
    }

    private Counter kickedConnections(String scope) {
        return Counter.builder("mailpin.kicked.connections")
                .description("Proxied connections this node closed because of kicks")
                .tag("scope", scope)
                .register(registry);
    }

    /**
     * Sets the source of the backend health gauge. The director's list is a local copy, so reading
     * it at each scrape costs no Hazelcast call.
     */
    public void gaugeBackends(Supplier<List<Backend>> backends) {
        clusterGauges.backends(backends);
    }

    /** Sets where the live connection gauge reads this node's proxied connections. */
    public void gaugeLiveConnections(Supplier<? extends Collection<LiveConnections.Entry>> connections) {
        clusterGauges.connections(connections);
    }

    /** Renders every meter in the Prometheus text format, after reading the gauges' sources. */
    public String scrape() {
        clusterGauges.update();
        return registry.scrape();
    }

    static String label(Protocol protocol) {
        return switch (protocol) {
            case IMAP, IMAPS -> "imap";
            case POP3, POP3S -> "pop3";
            case SIEVE -> "sieve";
            case SUBMISSION, SUBMISSIONS -> "submission";
            case LMTP -> "lmtp";
        };
    }

    static String statusClass(int status) {
        int hundreds = status / 100;
        return hundreds >= 1 && hundreds <= 5 ? hundreds + "xx" : "other";
    }

    @Override
    public void close() {
        if (gcMetrics != null) {
            gcMetrics.close();
        }
        registry.close();
    }
}
