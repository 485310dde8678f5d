package org.mailpin.gateway.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.mailpin.director.Assignment;
import org.mailpin.director.AssignmentReason;
import org.mailpin.director.Backend;
import org.mailpin.director.BackendPorts;
import org.mailpin.gateway.mail.LiveConnections;
import org.mailpin.gateway.mail.Protocol;

class GatewayMetricsTest {

    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

    private final GatewayMetrics metrics = new GatewayMetrics();

    @AfterEach
    void close() {
        metrics.close();
    }

    private Samples scrape() {
        return Samples.parse(metrics.scrape());
    }

    private static String logins(String protocol, String result) {
        return "mailpin_logins_total{protocol=\"" + protocol + "\",result=\"" + result + "\"}";
    }

    @Test
    void everyLoginSeriesStartsAtZero() {
        Samples samples = scrape();

        for (String protocol : GatewayMetrics.LOGIN_PROTOCOLS) {
            for (LoginResult result : LoginResult.values()) {
                assertEquals(0.0, samples.require(logins(protocol, result.label())), protocol + "/" + result);
            }
        }
    }

    @Test
    void tlsListenerCountsWithItsProtocol() {
        metrics.recordLogin(Protocol.IMAPS, LoginResult.REJECTED);
        metrics.recordLogin(Protocol.IMAP, LoginResult.REJECTED);
        metrics.recordLogin(Protocol.SUBMISSIONS, LoginResult.NO_BACKEND);

        Samples samples = scrape();
        assertEquals(2.0, samples.require(logins("imap", "rejected")));
        assertEquals(1.0, samples.require(logins("submission", "no_backend")));
    }

    @Test
    void lmtpHasNoLogins() {
        assertThrows(IllegalArgumentException.class, () -> metrics.recordLogin(Protocol.LMTP, LoginResult.OK));
    }

    @Test
    void backendLoginCountsAndTimes() {
        long start = System.nanoTime() - 5_000_000;
        metrics.recordBackendLogin(Protocol.POP3, LoginResult.OK, start);

        Samples samples = scrape();
        assertEquals(1.0, samples.require(logins("pop3", "ok")));
        assertEquals(1.0, samples.require("mailpin_backend_login_seconds_count{protocol=\"pop3\",result=\"ok\"}"));
        assertTrue(samples.require("mailpin_backend_login_seconds_sum{protocol=\"pop3\",result=\"ok\"}") >= 0.005);
        assertEquals(1.0, samples.require(
                "mailpin_backend_login_seconds_bucket{protocol=\"pop3\",result=\"ok\",le=\"+Inf\"}"));
    }

    @Test
    void loginWithoutBackendHasNoLatency() {
        metrics.recordLogin(Protocol.SIEVE, LoginResult.NO_BACKEND);
        metrics.recordBackendLogin(Protocol.SIEVE, LoginResult.DIRECTOR_ERROR, System.nanoTime());

        Samples samples = scrape();
        assertEquals(1.0, samples.require(logins("sieve", "no_backend")));
        assertEquals(1.0, samples.require(logins("sieve", "director_error")));
        assertFalse(samples.text().contains("mailpin_backend_login_seconds_count{protocol=\"sieve\""));
    }

    @Test
    void webLoginsUseWebProtocol() {
        metrics.recordWebLogin(LoginResult.REJECTED);
        metrics.recordWebBackendLogin(LoginResult.AUTH_FAILED, System.nanoTime());

        Samples samples = scrape();
        assertEquals(1.0, samples.require(logins("web", "rejected")));
        assertEquals(1.0, samples.require(logins("web", "auth_failed")));
        assertEquals(1.0, samples.require("mailpin_backend_login_seconds_count{protocol=\"web\",result=\"auth_failed\"}"));
    }

    @Test
    void proxyBytesAddUpPerDirection() {
        LongConsumer up = metrics.proxyBytes(Protocol.IMAPS, Direction.CLIENT_TO_BACKEND);
        LongConsumer down = metrics.proxyBytes(Protocol.IMAP, Direction.BACKEND_TO_CLIENT);
        up.accept(10);
        up.accept(32);
        down.accept(65536);

        Samples samples = scrape();
        assertEquals(42.0, samples.require(
                "mailpin_proxy_bytes_total{direction=\"client_to_backend\",protocol=\"imap\"}"));
        assertEquals(65536.0, samples.require(
                "mailpin_proxy_bytes_total{direction=\"backend_to_client\",protocol=\"imap\"}"));
        assertEquals(0.0, samples.require(
                "mailpin_proxy_bytes_total{direction=\"client_to_backend\",protocol=\"pop3\"}"));
    }

    @Test
    void proxyBytesRejectLmtp() {
        assertThrows(IllegalArgumentException.class,
                () -> metrics.proxyBytes(Protocol.LMTP, Direction.CLIENT_TO_BACKEND));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"200, 2xx", "302, 3xx", "404, 4xx", "503, 5xx", "101, 1xx", "0, other", "600, other"})
    void webRequestsByStatusClass(int status, String statusClass) {
        metrics.recordWebRequest(status, System.nanoTime());

        assertEquals(1.0, scrape().require("mailpin_web_requests_seconds_count{status=\"" + statusClass + "\"}"));
    }

    @Test
    void webRequestHistogramHasBuckets() {
        metrics.recordWebRequest(200, System.nanoTime());

        long buckets = scrape().text().lines()
                .filter(line -> line.startsWith("mailpin_web_requests_seconds_bucket{status=\"2xx\""))
                .count();
        assertTrue(buckets > 10, "buckets: " + buckets);
    }

    @Test
    void lmtpDeliveriesByReplyClass() {
        metrics.recordLmtpDelivery(250);
        metrics.recordLmtpDelivery(251);
        metrics.recordLmtpDelivery(451);
        metrics.recordLmtpDelivery(550);
        metrics.recordLmtpUnfinished();

        Samples samples = scrape();
        assertEquals(2.0, samples.require("mailpin_lmtp_deliveries_total{result=\"delivered\"}"));
        assertEquals(1.0, samples.require("mailpin_lmtp_deliveries_total{result=\"deferred\"}"));
        assertEquals(1.0, samples.require("mailpin_lmtp_deliveries_total{result=\"rejected\"}"));
        assertEquals(1.0, samples.require("mailpin_lmtp_deliveries_total{result=\"unfinished\"}"));
    }

    private static Assignment assignment(String backendId, AssignmentReason reason) {
        return new Assignment("user01@example.test", backendId, reason, NOW, NOW, "node1");
    }

    @Test
    void newAssignmentIsNoMove() {
        metrics.recordAssignment(assignment("be1", AssignmentReason.RING), null);

        Samples samples = scrape();
        assertEquals(1.0, samples.require("mailpin_assignments_total{reason=\"ring\"}"));
        assertFalse(samples.text().contains("mailpin_assignment_moves_total{"));
    }

    @Test
    void expiredAssignmentOnSameBackendIsNoMove() {
        metrics.recordAssignment(assignment("be1", AssignmentReason.RING), assignment("be1", AssignmentReason.RING));

        assertFalse(scrape().text().contains("mailpin_assignment_moves_total{"));
    }

    @Test
    void reassignmentToOtherBackendIsMove() {
        metrics.recordAssignment(assignment("be2", AssignmentReason.BACKEND_DOWN),
                assignment("be1", AssignmentReason.RING));

        Samples samples = scrape();
        assertEquals(1.0, samples.require("mailpin_assignments_total{reason=\"backend-down\"}"));
        assertEquals(1.0, samples.require("mailpin_assignment_moves_total{reason=\"backend-down\"}"));
    }

    @Test
    void kicksByScope() {
        metrics.recordKick(null, 3);
        metrics.recordKick("be1", 0);
        metrics.recordKick("be2", 1);

        Samples samples = scrape();
        assertEquals(1.0, samples.require("mailpin_kicks_total{scope=\"all\"}"));
        assertEquals(2.0, samples.require("mailpin_kicks_total{scope=\"backend\"}"));
        assertEquals(3.0, samples.require("mailpin_kicked_connections_total{scope=\"all\"}"));
        assertEquals(1.0, samples.require("mailpin_kicked_connections_total{scope=\"backend\"}"));
    }

    private static Backend backend(String id, String address, boolean up) {
        return new Backend(id, address, 100, "", BackendPorts.DEFAULTS, null, up);
    }

    @Test
    void backendUpGaugeFollowsDirector() {
        List<Backend> backends = new ArrayList<>(List.of(backend("be1", "10.0.0.1", true),
                backend("be2", "10.0.0.2", false)));
        metrics.gaugeBackends(() -> List.copyOf(backends));

        Samples first = scrape();
        assertEquals(1.0, first.require("mailpin_backend_up{backend=\"be1\"}"));
        assertEquals(0.0, first.require("mailpin_backend_up{backend=\"be2\"}"));

        backends.set(1, backends.get(1).withUp(true));
        backends.remove(0);
        Samples second = scrape();
        assertEquals(1.0, second.require("mailpin_backend_up{backend=\"be2\"}"));
        assertFalse(second.has("mailpin_backend_up{backend=\"be1\"}"));
    }

    private static LiveConnections.Entry connection(String id, Protocol protocol, String backendId) {
        return new LiveConnections.Entry(id, "user01@example.test", protocol, backendId, "192.0.2.7", NOW, () -> {
        });
    }

    private static String live(String backendId, String protocol) {
        return "mailpin_live_connections{backend=\"" + backendId + "\",protocol=\"" + protocol + "\"}";
    }

    @Test
    void liveConnectionsByBackendAndProtocol() {
        List<LiveConnections.Entry> open = new ArrayList<>(List.of(connection("imap-1", Protocol.IMAP, "be1"),
                connection("imaps-2", Protocol.IMAPS, "be1"), connection("pop3-3", Protocol.POP3, "be2")));
        metrics.gaugeBackends(() -> List.of(backend("be1", "10.0.0.1", true), backend("be2", "10.0.0.2", true)));
        metrics.gaugeLiveConnections(() -> List.copyOf(open));

        Samples first = scrape();
        assertEquals(2.0, first.require(live("be1", "imap")));
        assertEquals(1.0, first.require(live("be2", "pop3")));
        assertEquals(0.0, first.require(live("be2", "sieve")));

        open.clear();
        Samples second = scrape();
        assertEquals(0.0, second.require(live("be1", "imap")));
        assertEquals(0.0, second.require(live("be2", "pop3")));
    }

    @Test
    void liveConnectionOnUnlistedBackendStillCounts() {
        metrics.gaugeLiveConnections(() -> List.of(connection("sieve-1", Protocol.SIEVE, "be9")));

        assertEquals(1.0, scrape().require(live("be9", "sieve")));
    }

    @Test
    void jvmMetricsAreOptional() {
        assertFalse(metrics.scrape().contains("jvm_memory_used_bytes"));

        try (GatewayMetrics withJvm = GatewayMetrics.withJvmMetrics()) {
            String text = withJvm.scrape();
            assertTrue(text.contains("jvm_memory_used_bytes{"), "no JVM memory meters");
            assertTrue(text.contains("jvm_threads_live_threads"), "no JVM thread meters");
            assertTrue(text.contains("process_uptime_seconds"), "no uptime meter");
            assertTrue(text.contains("system_cpu_count"), "no processor meters");
        }
    }
}
