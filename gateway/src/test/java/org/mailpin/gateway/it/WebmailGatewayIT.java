package org.mailpin.gateway.it;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.function.Executable;

/**
 * Webmail through the gateway on real processes: two Dovecot backends on one Maildir tree, two
 * Roundcube instances with the mailpin plugin, and a gateway node. Subclasses pick the Roundcube
 * shape: separate databases or one shared database.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class WebmailGatewayIT {

    Topology topology;

    abstract String shape();

    /** True when logins whose page came from another instance must be handed over by the gateway. */
    abstract boolean handsOverLogins();

    @BeforeAll
    void startTopology() throws Exception {
        topology = Topology.start(shape());
    }

    @AfterAll
    void stopTopology() throws Exception {
        if (topology != null) {
            topology.close();
        }
    }

    @Test
    @Order(1)
    void everyUserLandsOnDirectorBackend() throws Exception {
        // The demo script's own start-up check logs in on both backends; only later lines count.
        int be1Start = topology.backendLog("be1").length();
        int be2Start = topology.backendLog("be2").length();
        List<Executable> checks = new ArrayList<>();
        LogCapture logs = new LogCapture();
        for (int i = 1; i <= Topology.USERS; i++) {
            String user = Topology.user(i);
            WebmailClient browser = new WebmailClient(topology.baseUrl());

            HttpResponse<String> login = browser.login(user, Topology.password(i));
            HttpResponse<String> list = browser.inboxList();
            String backend = topology.gateway.director().find(user).orElseThrow().backendId();
            String other = backend.equals("be1") ? "be2" : "be1";
            String ownerLog = topology.backendLog(backend).substring(backend.equals("be1") ? be1Start : be2Start);
            String otherLog = topology.backendLog(other).substring(other.equals("be1") ? be1Start : be2Start);

            checks.add(() -> assertEquals(302, login.statusCode(), user + ": login status, body: " + login.body()));
            checks.add(() -> assertTrue(list.body().contains("add_message_row"), user + ": INBOX list has no message row: " + list.body()));
            checks.add(() -> assertTrue(ownerLog.contains("Login: user=<" + user + ">"), user + ": no IMAP login in " + backend + ".log"));
            checks.add(() -> assertFalse(otherLog.contains("Login: user=<" + user + ">"), user + ": IMAP login on " + other + " too"));
        }
        logs.close();

        // Login pages come from the instances in turn, so about half of the logins need a hand-over.
        long handOvers = logs.lines().stream().filter(l -> l.contains("token checked by the gateway")).count();
        checks.add(() -> assertEquals(handsOverLogins(), handOvers > 0, "logins handed over: " + handOvers));
        assertAll(checks);
    }

    @Test
    @Order(2)
    void bothBackendsOwnUsers() {
        long onBe1 = java.util.stream.IntStream.rangeClosed(1, Topology.USERS)
                .mapToObj(Topology::user)
                .filter(u -> topology.gateway.director().ringChoice(u).orElseThrow().id().equals("be1"))
                .count();
        assertTrue(onBe1 > 0, "no demo user maps to be1");
        assertTrue(onBe1 < Topology.USERS, "no demo user maps to be2");
    }

    @Test
    @Order(3)
    void lmtpDeliveryVisibleThroughOtherBackend() throws Exception {
        String user = firstUserOn("be2");
        String subject = "shared storage check " + UUID.randomUUID();

        LmtpClient.deliver("127.0.0.11", 24, user, subject);
        WebmailClient browser = new WebmailClient(topology.baseUrl());
        browser.login(user, passwordOf(user));
        HttpResponse<String> list = browser.inboxList();

        assertTrue(list.body().contains(subject), "message delivered to be1 not listed for " + user + " on be2");
    }

    @Test
    @Order(4)
    void pinnedBrowserKeepsBackendAndLogoutUnpins() throws Exception {
        String user = firstUserOn("be2");
        WebmailClient browser = new WebmailClient(topology.baseUrl());
        browser.login(user, passwordOf(user));
        browser.inboxList();

        HttpResponse<String> logout = browser.get("?_task=logout&_token=" + "x");
        HttpResponse<String> after = browser.get("?_task=mail&_mbox=INBOX");

        assertTrue(logout.headers().allValues("set-cookie").stream().anyMatch(c -> c.startsWith("mailpin_pin=;")),
                "logout response does not delete the pin cookie: " + logout.headers().allValues("set-cookie"));
        assertFalse(after.body().contains("\"request_token\"") && after.body().contains("add_message_row"),
                "mail view still served after logout");
    }

    @Test
    @Order(5)
    void spoofedRouteHeaderIsIgnored() throws Exception {
        String user = firstUserOn("be1");
        WebmailClient browser = new WebmailClient(topology.baseUrl());
        String forged = "eyJ1c2VyIjoieCJ9.forged";

        String token = browser.loginPage();
        HttpResponse<String> login = browser.postLogin(token, user, passwordOf(user), "X-Mailpin-Route", forged,
                "X-MAILPIN-BACKEND", "be2");
        HttpResponse<String> list = browser.inboxList();

        assertEquals(302, login.statusCode(), "login with spoofed headers: " + login.body());
        assertTrue(list.body().contains("add_message_row"), "INBOX list failed after login with spoofed headers");
        assertEquals("be1", topology.gateway.director().find(user).orElseThrow().backendId());
    }

    @Test
    @Order(6)
    void controlCharactersInUserRejected() throws Exception {
        WebmailClient browser = new WebmailClient(topology.baseUrl());
        String token = browser.loginPage();

        for (String bad : List.of("user01@example.test\r\nX: y", "user01\n", "user01\0@example.test")) {
            HttpResponse<String> response = browser.postLogin(token, bad, "secret01");
            assertEquals(400, response.statusCode(), "status for " + bad.replace("\r", "\\r").replace("\n", "\\n"));
            assertTrue(response.body().contains("Invalid username"), response.body());
        }
    }

    @Test
    @Order(7)
    void loginFromForeignOriginRejected() throws Exception {
        WebmailClient browser = new WebmailClient(topology.baseUrl());
        String token = browser.loginPage();

        HttpResponse<String> response = browser.postLogin(token, Topology.user(1), Topology.password(1),
                "Origin", "http://evil.example");

        assertEquals(403, response.statusCode());
    }

    @Test
    @Order(8)
    void oversizedBodyGets413() throws Exception {
        String response = raw("POST /mail/?_task=mail&_action=upload HTTP/1.1\r\nHost: 127.0.0.1:" + topology.webPort
                + "\r\nContent-Type: application/octet-stream\r\nContent-Length: " + (40L * 1024 * 1024)
                + "\r\nConnection: close\r\n\r\n");

        assertTrue(response.startsWith("HTTP/1.1 413"), response);
    }

    @Test
    @Order(9)
    void foreignHostGets421() throws Exception {
        String response = raw("GET /mail/ HTTP/1.1\r\nHost: mail.attacker.example\r\nConnection: close\r\n\r\n");

        assertTrue(response.startsWith("HTTP/1.1 421"), response);
    }

    @Test
    @Order(10)
    void adminNeedsToken() throws Exception {
        var http = java.net.http.HttpClient.newHttpClient();
        URI uri = URI.create(topology.adminUrl() + "/api/v1/sessions");

        HttpResponse<String> anonymous = http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> wrong = http.send(HttpRequest.newBuilder(uri).header("Authorization", "Bearer nope").build(),
                HttpResponse.BodyHandlers.ofString());

        assertEquals(401, anonymous.statusCode());
        assertEquals("", anonymous.body());
        assertEquals(401, wrong.statusCode());
    }

    @Test
    @Order(11)
    void adminShowsUserAndSessions() throws Exception {
        String user = firstUserOn("be2");
        new WebmailClient(topology.baseUrl()).login(user, passwordOf(user));
        var http = java.net.http.HttpClient.newHttpClient();

        HttpResponse<String> lookup = http.send(HttpRequest.newBuilder(URI.create(topology.adminUrl() + "/api/v1/users/"
                + user.toUpperCase())).header("Authorization", "Bearer " + topology.adminToken).build(),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> sessions = http.send(HttpRequest.newBuilder(URI.create(topology.adminUrl() + "/api/v1/sessions"))
                .header("Authorization", "Bearer " + topology.adminToken).build(), HttpResponse.BodyHandlers.ofString());

        assertEquals(200, lookup.statusCode(), lookup.body());
        assertTrue(lookup.body().contains("\"backend\" : \"be2\""), lookup.body());
        assertTrue(lookup.body().contains("\"address\" : \"127.0.0.12\""), lookup.body());
        assertTrue(lookup.body().contains("\"reason\" : \"ring\""), lookup.body());
        assertTrue(lookup.body().contains("\"expires\""), lookup.body());
        assertTrue(sessions.body().contains("\"user\" : \"" + user + "\""), sessions.body());
    }

    @Test
    @Order(12)
    void kickEndsWebSession() throws Exception {
        String user = firstUserOn("be1");
        WebmailClient browser = new WebmailClient(topology.baseUrl());
        browser.login(user, passwordOf(user));
        browser.inboxList();
        var director = topology.gateway.director();

        director.kick(user, null);
        // Kicks travel over a Hazelcast topic, so the listener runs shortly after the call.
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(10).toNanos();
        while (director.webSessions().list().stream().anyMatch(s -> s.user().equals(user))
                && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        HttpResponse<String> after = browser.get("?_task=mail&_mbox=INBOX");

        assertFalse(director.webSessions().list().stream().anyMatch(s -> s.user().equals(user)),
                "web session of " + user + " still listed after the kick");
        assertTrue(after.headers().allValues("set-cookie").stream().anyMatch(c -> c.startsWith("mailpin_pin=;")),
                "the next response does not delete the pin cookie: " + after.headers().allValues("set-cookie"));
    }

    @Test
    @Order(20)
    void brokenBackendRejectsOnlyItsUsers() throws Exception {
        String broken = firstUserOn("be2");
        String healthy = firstUserOn("be1");
        String config = Files.readString(topology.dovecotConfig("be2"));
        Files.writeString(topology.state.resolve("dovecot/empty.passwd"), "");
        Files.writeString(topology.dovecotConfig("be2"), config.replace(
                "args = scheme=SHA512-CRYPT " + topology.state.resolve("dovecot/users.passwd"),
                "args = scheme=SHA512-CRYPT " + topology.state.resolve("dovecot/empty.passwd")));
        Topology.run(java.time.Duration.ofSeconds(30), "doveadm", "-c", topology.dovecotConfig("be2").toString(), "reload");
        Thread.sleep(1000); // NOTE: doveadm reload returns before the auth process restarts; no event signals it.

        try (LogCapture logs = new LogCapture()) {
            HttpResponse<String> rejected = new WebmailClient(topology.baseUrl()).login(broken, passwordOf(broken));
            HttpResponse<String> accepted = new WebmailClient(topology.baseUrl()).login(healthy, passwordOf(healthy));

            assertEquals(401, rejected.statusCode(), "Roundcube answers a failed login with 401");
            assertTrue(rejected.body().contains("loginfailed") || rejected.body().contains("Login failed"), rejected.body());
            assertEquals(302, accepted.statusCode(), "a be1 user is unaffected");
            assertTrue(logs.text().contains("webmail login failed user=" + broken + " backend=be2 (127.0.0.12)"), logs.text());
            assertTrue(logs.text().contains("reply="), logs.text());
        } finally {
            Files.writeString(topology.dovecotConfig("be2"), config);
            Topology.run(java.time.Duration.ofSeconds(30), "doveadm", "-c", topology.dovecotConfig("be2").toString(), "reload");
        }
    }

    String firstUserOn(String backend) {
        for (int i = 1; i <= Topology.USERS; i++) {
            String user = Topology.user(i);
            if (topology.gateway.director().ringChoice(user).orElseThrow().id().equals(backend)) {
                return user;
            }
        }
        throw new IllegalStateException("no demo user maps to " + backend);
    }

    static String passwordOf(String user) {
        return "secret" + user.substring(4, 6);
    }

    private String raw(String request) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", topology.webPort)) {
            socket.setSoTimeout(10000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readNBytes(4096), StandardCharsets.ISO_8859_1);
        }
    }
}
