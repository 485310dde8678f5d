package org.mailpin.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.mailpin.gateway.mail.LineClient;
import org.mailpin.gateway.metrics.Samples;

/**
 * GET /metrics on the admin listener of a gateway in front of the real Dovecot backends and
 * Roundcube instances: logins over IMAP, POP3 and webmail, an LMTP delivery and a kick move the
 * counters and gauges that docs/metrics.md describes. Each test compares a scrape before and after
 * its own traffic, so the tests do not depend on their order.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MetricsIT {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String UP_BYTES = "mailpin_proxy_bytes_total{direction=\"client_to_backend\",protocol=\"%s\"}";
    private static final String DOWN_BYTES = "mailpin_proxy_bytes_total{direction=\"backend_to_client\",protocol=\"%s\"}";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private Topology topology;
    private int imapPort;
    private int pop3Port;
    private int lmtpPort;

    @BeforeAll
    void start() throws Exception {
        imapPort = Topology.freePort();
        pop3Port = Topology.freePort();
        lmtpPort = Topology.freePort();
        topology = Topology.start("separate", """
                mail:
                  listeners:
                    - protocol: imap
                      listen: 127.0.0.1:%d
                    - protocol: pop3
                      listen: 127.0.0.1:%d
                    - protocol: lmtp
                      listen: 127.0.0.1:%d
                """.formatted(imapPort, pop3Port, lmtpPort));
    }

    @AfterAll
    void stop() throws Exception {
        if (topology != null) {
            topology.close();
        }
    }

    private HttpResponse<String> getMetrics(String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(topology.adminUrl() + "/metrics"))
                .timeout(Duration.ofSeconds(10));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private String scrapeText() {
        try {
            HttpResponse<String> response = getMetrics("Bearer " + topology.adminToken);
            assertEquals(200, response.statusCode(), "GET /metrics with the token");
            return response.body();
        } catch (Exception e) {
            throw new AssertionError("GET /metrics failed", e);
        }
    }

    private Samples scrape() {
        return Samples.parse(scrapeText());
    }

    // Returns the series' value once it reaches the expected one, or its last value after WAIT.
    private double await(String series, double expected) {
        return Samples.await(this::scrapeText, series, value -> value == expected, WAIT);
    }

    private double awaitAtLeast(String series, double minimum) {
        return Samples.await(this::scrapeText, series, value -> value >= minimum, WAIT);
    }

    private static String logins(String protocol, String result) {
        return "mailpin_logins_total{protocol=\"" + protocol + "\",result=\"" + result + "\"}";
    }

    private static String live(String backendId, String protocol) {
        return "mailpin_live_connections{backend=\"" + backendId + "\",protocol=\"" + protocol + "\"}";
    }

    // Waits until every relay of an earlier test has ended, so this test's counts are its own.
    private void awaitNoLiveConnections(String protocol) {
        for (String backend : List.of("be1", "be2")) {
            assertEquals(0.0, await(live(backend, protocol), 0.0), protocol + " connections left open on " + backend);
        }
    }

    private String backendOf(String user) {
        return topology.gateway.director().find(user).orElseThrow().backendId();
    }

    @Test
    void metricsNeedToken() throws Exception {
        HttpResponse<String> anonymous = getMetrics(null);
        HttpResponse<String> wrongToken = getMetrics("Bearer not-the-token");
        HttpResponse<String> withToken = getMetrics("Bearer " + topology.adminToken);

        assertEquals(401, anonymous.statusCode());
        assertEquals("Bearer realm=\"mailpin\"", anonymous.headers().firstValue("WWW-Authenticate").orElse(null));
        assertEquals("", anonymous.body());
        assertEquals(401, wrongToken.statusCode());
        assertEquals(200, withToken.statusCode());
        assertEquals("text/plain; version=0.0.4; charset=utf-8",
                withToken.headers().firstValue("Content-Type").orElse(null));
        assertTrue(withToken.body().contains("# TYPE mailpin_logins_total counter"), withToken.body());
    }

    @Test
    void imapLoginsCounted() throws Exception {
        String user = Topology.user(1);
        Samples before = scrape();
        try (LineClient client = LineClient.connect(imapPort, null)) {
            client.readLine();
            client.writeLine("a1 LOGIN " + user + " wrong-password");
            String rejected = client.readThrough("a1 ").getLast();
            client.writeLine("a2 LOGIN " + user + " " + Topology.password(1));
            String accepted = client.readThrough("a2 ").getLast();
            assertTrue(rejected.startsWith("a1 NO"), rejected);
            assertTrue(accepted.startsWith("a2 OK"), accepted);
        }
        Samples after = scrape();

        assertEquals(1.0, delta(before, after, logins("imap", "ok")));
        assertEquals(1.0, delta(before, after, logins("imap", "auth_failed")));
        assertEquals(1.0, delta(before, after,
                "mailpin_backend_login_seconds_count{protocol=\"imap\",result=\"ok\"}"));
        assertEquals(1.0, delta(before, after,
                "mailpin_backend_login_seconds_count{protocol=\"imap\",result=\"auth_failed\"}"));
    }

    @Test
    void imapSessionMovesGaugeAndBytes() throws Exception {
        String user = Topology.user(2);
        awaitNoLiveConnections("imap");
        Samples before = scrape();
        String backend;
        try (LineClient client = LineClient.connect(imapPort, null)) {
            client.readLine();
            client.writeLine("a1 LOGIN " + user + " " + Topology.password(2));
            client.readThrough("a1 ");
            client.writeLine("a2 SELECT INBOX");
            String selected = client.readThrough("a2 ").getLast();
            assertTrue(selected.startsWith("a2 OK"), selected);
            backend = backendOf(user);

            assertEquals(1.0, scrape().require(live(backend, "imap")),
                    "live IMAP connections on " + backend + " while the session is open");
        }

        assertEquals(0.0, await(live(backend, "imap"), 0.0), "live IMAP connections after close");
        String upBytes = UP_BYTES.formatted("imap");
        double select = "a2 SELECT INBOX\r\n".length();
        assertEquals(select, await(upBytes, before.require(upBytes) + select) - before.require(upBytes),
                "bytes client to backend");
        assertTrue(delta(before, scrape(), DOWN_BYTES.formatted("imap")) > 0, "bytes backend to client");
    }

    @Test
    void pop3LoginsCounted() throws Exception {
        String user = Topology.user(3);
        awaitNoLiveConnections("pop3");
        Samples before = scrape();
        try (LineClient client = LineClient.connect(pop3Port, null)) {
            client.readLine();
            client.writeLine("USER " + user);
            client.writeLine("PASS wrong-password");
            client.writeLine("USER " + user);
            client.writeLine("PASS " + Topology.password(3));
            List<String> replies = client.readLines(4);
            client.writeLine("STAT");
            String stat = client.readLine();
            assertEquals("+OK Logged in.", replies.get(3));
            assertTrue(stat.startsWith("+OK "), stat);
        }
        String backend = backendOf(user);

        assertEquals(0.0, await(live(backend, "pop3"), 0.0), "live POP3 connections after close");
        String upBytes = UP_BYTES.formatted("pop3");
        double stat = "STAT\r\n".length();
        assertEquals(stat, await(upBytes, before.require(upBytes) + stat) - before.require(upBytes),
                "bytes client to backend");
        Samples after = scrape();
        assertEquals(1.0, delta(before, after, logins("pop3", "ok")));
        assertEquals(1.0, delta(before, after, logins("pop3", "auth_failed")));
        assertTrue(delta(before, after, DOWN_BYTES.formatted("pop3")) > 0, "bytes backend to client");
    }

    @Test
    void webLoginCounted() throws Exception {
        Samples before = scrape();
        WebmailClient browser = new WebmailClient(topology.baseUrl());
        HttpResponse<String> login = browser.login(Topology.user(4), Topology.password(4));
        browser.inboxList();
        // The login page, the mail view and the message list return 2xx. A request is timed once
        // its response is complete, which may be just after the client has read it, so this waits.
        String ok = "mailpin_web_requests_seconds_count{status=\"2xx\"}";
        double okBefore = before.value(ok).orElse(0);
        double okRequests = awaitAtLeast(ok, okBefore + 3) - okBefore;
        Samples after = scrape();

        assertEquals(302, login.statusCode());
        assertEquals(1.0, delta(before, after, logins("web", "ok")));
        assertEquals(1.0, delta(before, after,
                "mailpin_backend_login_seconds_count{protocol=\"web\",result=\"ok\"}"));
        assertTrue(okRequests >= 3, "2xx requests: " + okRequests);
        assertTrue(delta(before, after, "mailpin_web_requests_seconds_count{status=\"3xx\"}") >= 1,
                "3xx requests for the login's redirect");
    }

    @Test
    void lmtpDeliveryCounted() throws Exception {
        Samples before = scrape();
        LmtpClient.deliver("127.0.0.1", lmtpPort, Topology.user(5), "metrics " + UUID.randomUUID());
        Samples after = scrape();

        assertEquals(1.0, delta(before, after, "mailpin_lmtp_deliveries_total{result=\"delivered\"}"));
    }

    @Test
    void newUserCountsAssignment() throws Exception {
        String user = Topology.user(6);
        assertNull(topology.gateway.director().find(user).orElse(null), "user06 already has an assignment");
        Samples before = scrape();
        try (LineClient client = LineClient.connect(imapPort, null)) {
            client.readLine();
            client.writeLine("a1 LOGIN " + user + " " + Topology.password(6));
            client.readThrough("a1 ");
        }
        Samples after = scrape();

        assertEquals(1.0, delta(before, after, "mailpin_assignments_total{reason=\"ring\"}"));
    }

    @Test
    void kickClosesAndCounts() throws Exception {
        String user = Topology.user(7);
        Samples before = scrape();
        try (LineClient client = LineClient.connect(imapPort, null)) {
            client.readLine();
            client.writeLine("a1 LOGIN " + user + " " + Topology.password(7));
            client.readThrough("a1 ");
            topology.gateway.director().kick(user, null);

            String kicks = "mailpin_kicks_total{scope=\"all\"}";
            assertEquals(before.require(kicks) + 1, await(kicks, before.require(kicks) + 1));
            assertNull(client.readLine(), "the kicked connection is still open");
        }
        Samples after = scrape();
        assertEquals(1.0, delta(before, after, "mailpin_kicked_connections_total{scope=\"all\"}"));
    }

    @Test
    void backendsUpAndJvmMetersPresent() {
        Samples samples = scrape();

        assertEquals(1.0, samples.require("mailpin_backend_up{backend=\"be1\"}"));
        assertEquals(1.0, samples.require("mailpin_backend_up{backend=\"be2\"}"));
        assertTrue(samples.text().contains("jvm_memory_used_bytes{"), "no JVM memory meters");
        assertTrue(samples.text().contains("process_uptime_seconds"), "no uptime meter");
    }

    // Timers appear with their first event, so a series missing before counts as 0.
    private static double delta(Samples before, Samples after, String series) {
        return after.require(series) - before.value(series).orElse(0);
    }
}
