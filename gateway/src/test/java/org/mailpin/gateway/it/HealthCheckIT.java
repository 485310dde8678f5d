package org.mailpin.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.mailpin.director.ClusterEvent;
import org.mailpin.gateway.cli.CommandRun;
import org.mailpin.gateway.mail.imap.ImapTestClient;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Health checks on real Dovecot backends and Roundcube instances with three gateway nodes. Node 1
 * runs in this JVM with health checks disabled and serves IMAP and the admin API. Nodes 2 and 3
 * are processes that compete for the health-checks lease. Checks run every second, a backend turns
 * unhealthy after 2 failed rounds and healthy after 2 passed ones, and every round includes a
 * probe login and the Roundcube login page.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class HealthCheckIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration INTERVAL = Duration.ofSeconds(1);
    private static final int RISE = 2;
    private static final int FALL = 2;
    // Allowance beyond interval x fall (or rise) for the round's own time, the tick's phase and polling.
    private static final Duration MARGIN = Duration.ofSeconds(1);
    // The demo's probe account, created by examples/seed-topology/start.sh on both backends.
    private static final String PROBE_USER = "probe@example.test";
    private static final String PROBE_PASSWORD = "probe-only";

    private final HttpClient http = HttpClient.newHttpClient();
    private ClusterNodes cluster;
    private Path probePassword;

    @BeforeAll
    void startCluster() throws Exception {
        probePassword = Files.createTempFile("mailpin-it-probe-", ".password");
        Files.writeString(probePassword, PROBE_PASSWORD + "\n");
        String checking = """
                health:
                  interval: 1s
                  timeout: 800ms
                  rise: %d
                  fall: %d
                  probe-user: %s
                  probe-password-file: %s
                """.formatted(RISE, FALL, PROBE_USER, probePassword);
        cluster = ClusterNodes.start(3, Topology.USERS, "60m", "health:\n  enabled: false\n", checking);
    }

    @AfterAll
    void stopCluster() throws Exception {
        try {
            if (cluster != null) {
                cluster.close();
            }
        } finally {
            Files.deleteIfExists(probePassword);
        }
    }

    @Test
    @Order(1)
    void oneProcessNodeRunsChecks() throws Exception {
        JsonNode health = awaitHealth(body -> !body.get("checker").isNull()
                && body.get("backends").findValues("lastCheck").stream().noneMatch(JsonNode::isNull),
                Duration.ofSeconds(30));
        String checker = health.get("checker").asText();

        assertTrue(Set.of("it-node2", "it-node3").contains(checker), "checker " + checker);
        assertEquals(checker, admin(1, "/api/v1/cluster").get("healthChecker").asText());
        for (JsonNode backend : health.get("backends")) {
            assertTrue(backend.get("healthy").asBoolean(), backend.toString());
            assertEquals(checker, backend.get("checkedBy").asText(), backend.toString());
        }
        long announcing = cluster.processes.stream()
                .filter(node -> node.logTail(400).contains("now runs the health checks")).count();
        assertEquals(1, announcing, "process nodes that announced they run the checks");
    }

    @Test
    @Order(2)
    void cliPrintsHealthTable() throws Exception {
        awaitHealth(body -> !body.get("checker").isNull(), Duration.ofSeconds(30));

        CommandRun table = cli(1, "health");
        CommandRun json = cli(2, "health", "--json");
        CommandRun clusterStatus = cli(3, "cluster", "status");

        assertEquals(0, table.exitCode(), table.err());
        assertTrue(table.out().lines().anyMatch(line -> line.startsWith("BACKEND  STATE  HEALTHY  PASSES  FAILURES")),
                table.out());
        assertTrue(table.out().lines().anyMatch(line -> line.matches("be2 +up +yes +\\d+ +0 .*")), table.out());
        assertEquals(2, JSON.readTree(json.out()).get("backends").size(), json.out());
        assertTrue(clusterStatus.out().contains("health checks run on it-node"), clusterStatus.out());
    }

    @Test
    @Order(3)
    void administratorsDownStaysWhileChecksPass() throws Exception {
        CommandRun down = cli(1, "down", "be1");
        assertEquals(0, down.exitCode(), down.err());
        try {
            int passesBefore = backendHealth("be1").get("passes").asInt();
            awaitHealth(body -> find(body, "be1").get("passes").asInt() >= passesBefore + RISE + 2,
                    INTERVAL.multipliedBy(RISE + 2).plus(MARGIN).plusSeconds(2));

            JsonNode be1 = backendHealth("be1");
            assertFalse(be1.get("up").asBoolean(), "be1 came up by itself: " + be1);
            assertTrue(be1.get("healthy").asBoolean(), be1.toString());
            assertEquals("down", be1.get("state").asText());
        } finally {
            cli(1, "up", "be1");
        }
        assertTrue(backendHealth("be1").get("up").asBoolean(), "be1 after mailpin up");
    }

    @Test
    @Order(4)
    void stoppedBackendTurnsUnhealthyAndUsersMove() throws Exception {
        List<String> be2Users = unassignedUsersOn("be2", 2);
        String moving = be2Users.get(0);
        String newcomer = be2Users.get(1);
        assertEquals("a1 OK", login(moving).substring(0, 5));
        assertEquals("be2", assignedBackend(moving), moving + " before the stop");
        awaitHealth(body -> find(body, "be2").get("passes").asInt() >= 1, Duration.ofSeconds(10));

        try (ImapTestClient open = loggedIn(moving)) {
            long stopRequested = System.nanoTime();
            stopBackend("be2");
            long stopped = System.nanoTime();
            JsonNode unhealthy = awaitHealth(body -> !find(body, "be2").get("healthy").asBoolean(),
                    Duration.ofSeconds(20));
            long detected = System.nanoTime();
            // Dovecot fails probes while it stops, before its master exits, so the streak shows
            // that the flag changed at the fall-th failed round (or one round later, between polls).
            int failures = find(unhealthy, "be2").get("failures").asInt();
            assertTrue(failures >= FALL, "failed rounds when be2 turned unhealthy: " + failures);
            assertTrue(failures <= FALL + 1, "failed rounds when be2 turned unhealthy: " + failures);

            Duration afterExit = Duration.ofNanos(detected - stopped);
            Duration afterRequest = Duration.ofNanos(detected - stopRequested);
            System.out.printf("HealthCheckIT: be2 unhealthy %d ms after its Dovecot master exited, %d ms after "
                    + "doveadm stop started (interval %d ms, fall %d)%n", afterExit.toMillis(),
                    afterRequest.toMillis(), INTERVAL.toMillis(), FALL);
            assertTrue(afterExit.compareTo(INTERVAL.multipliedBy(FALL).plus(MARGIN)) <= 0,
                    "be2 turned unhealthy " + afterExit + " after its master exited");
            assertTrue(open.closedByServer(), "the connection of " + moving + " to be2 stayed open");
        }

        JsonNode be2 = backendHealth("be2");
        assertTrue(be2.get("up").asBoolean(), "the checker never writes up: " + be2);
        assertEquals("unhealthy", be2.get("state").asText());
        assertTrue(be2.get("lastFailure").asText().contains("imap: connect to 127.0.0.12:143 refused"), be2.toString());
        assertTrue(be2.get("lastFailure").asText().contains("probe login as " + PROBE_USER), be2.toString());
        assertTrue(healthEvents().stream().anyMatch(e -> e.subject().equals("be2")
                && e.detail().startsWith("unhealthy: imap: connect to 127.0.0.12:143 refused")), "health events");

        assertEquals("a1 OK", login(moving).substring(0, 5), moving + " after be2 stopped");
        assertEquals("be1", assignedBackend(moving), moving + " after be2 turned unhealthy");
        assertEquals("backend-down", admin(1, "/api/v1/users/" + moving).get("reason").asText());
        assertEquals("a1 OK", login(newcomer).substring(0, 5), newcomer + " while be2 is unhealthy");
        assertEquals("be1", assignedBackend(newcomer), newcomer + " whose ring choice is be2");
    }

    @Test
    @Order(5)
    void restartedBackendTurnsHealthyAndMovedUsersStay() throws Exception {
        awaitHealth(body -> !find(body, "be2").get("healthy").asBoolean(), Duration.ofSeconds(20));
        List<String> moved = new ArrayList<>();
        for (JsonNode entry : admin(1, "/api/v1/map?backend=be1").get("users")) {
            if (entry.get("reason").asText().equals("backend-down")) {
                moved.add(entry.get("user").asText());
            }
        }
        assertFalse(moved.isEmpty(), "users moved off be2");
        long be2LoginsBefore = be2Logins(moved);

        startBackend("be2", "127.0.0.12");
        long listening = System.nanoTime();
        awaitHealth(body -> find(body, "be2").get("healthy").asBoolean(), Duration.ofSeconds(20));
        Duration recovery = Duration.ofNanos(System.nanoTime() - listening);
        System.out.printf("HealthCheckIT: be2 healthy again %d ms after it accepted connections (rise %d)%n",
                recovery.toMillis(), RISE);
        assertTrue(recovery.compareTo(INTERVAL.multipliedBy(RISE).plus(MARGIN)) <= 0,
                "be2 turned healthy " + recovery + " after it listened again");
        assertTrue(healthEvents().stream().anyMatch(e -> e.subject().equals("be2")
                && e.detail().equals("healthy again after " + RISE + " passes")), "health events");

        for (String user : moved) {
            assertEquals("a1 OK", login(user).substring(0, 5), user + " after be2 came back");
            assertEquals("be1", assignedBackend(user), user + " must stay on be1 until expiry or flush");
        }
        Thread.sleep(500);
        assertEquals(be2LoginsBefore, be2Logins(moved), "logins of moved users on be2 after it came back");
    }

    @Test
    @Order(6)
    void stoppedCheckerHandsLeaseOver() throws Exception {
        String checker = awaitHealth(body -> !body.get("checker").isNull(), Duration.ofSeconds(30))
                .get("checker").asText();
        GatewayProcess node = processNamed(checker);

        long stopping = System.nanoTime();
        node.stop();
        JsonNode health = awaitHealth(body -> !body.get("checker").isNull()
                && !body.get("checker").asText().equals(checker), Duration.ofSeconds(30));
        Duration takeover = Duration.ofNanos(System.nanoTime() - stopping);
        System.out.printf("HealthCheckIT: %s took the lease %d ms after %s was stopped%n",
                health.get("checker").asText(), takeover.toMillis(), checker);

        // A clean stop releases the lease, so the next tick of the other node takes it.
        assertTrue(takeover.compareTo(Duration.ofSeconds(20)) <= 0, "takeover after " + takeover);
        String successor = health.get("checker").asText();
        assertNotEquals(checker, successor);
        awaitHealth(body -> find(body, "be1").get("checkedBy").asText().equals(successor),
                INTERVAL.multipliedBy(2).plus(MARGIN));

        cluster.restart(node, 3);
    }

    @Test
    @Order(7)
    void killedCheckerLosesLeaseByExpiry() throws Exception {
        String checker = awaitHealth(body -> !body.get("checker").isNull(), Duration.ofSeconds(30))
                .get("checker").asText();
        GatewayProcess node = processNamed(checker);

        long killed = System.nanoTime();
        node.kill();
        JsonNode health = awaitHealth(body -> !body.get("checker").isNull()
                && !body.get("checker").asText().equals(checker), Duration.ofSeconds(60));
        Duration takeover = Duration.ofNanos(System.nanoTime() - killed);
        System.out.printf("HealthCheckIT: %s took the lease %d ms after %s was killed (lease TTL %d ms)%n",
                health.get("checker").asText(), takeover.toMillis(), checker, INTERVAL.multipliedBy(3).toMillis());

        // The lease lasts 3 intervals. Hazelcast may first hold operations on the dead member's
        // partitions for a while, which ClusterNodeKillIT bounds at 15 s.
        assertTrue(takeover.compareTo(Duration.ofSeconds(20)) <= 0, "takeover after " + takeover);
        cluster.restart(node, 3);
    }

    private GatewayProcess processNamed(String nodeName) {
        return cluster.processes.stream().filter(p -> nodeName.equals("it-node" + p.number)).findFirst()
                .orElseThrow(() -> new AssertionError("no process node is named " + nodeName));
    }

    private List<String> unassignedUsersOn(String backend, int count) {
        List<String> users = new ArrayList<>();
        for (int i = 1; i <= Topology.USERS && users.size() < count; i++) {
            String user = Topology.user(i);
            var director = cluster.topology.gateway.director();
            if (director.find(user).isEmpty() && director.ringChoice(user).orElseThrow().id().equals(backend)) {
                users.add(user);
            }
        }
        assertEquals(count, users.size(), "unassigned demo users whose ring choice is " + backend);
        return users;
    }

    private String login(String user) throws IOException {
        return ClusterNodes.imapLogin(cluster.imapPort(1), user, Topology.password(Topology.index(user)));
    }

    private ImapTestClient loggedIn(String user) throws IOException {
        ImapTestClient client = ImapTestClient.connect("127.0.0.1", cluster.imapPort(1));
        client.readLine();
        String login = client.command("a1", "LOGIN " + user + " " + Topology.password(Topology.index(user)));
        assertTrue(login.startsWith("a1 OK"), "login of " + user + ": " + login);
        return client;
    }

    private long be2Logins(List<String> users) throws IOException {
        long count = 0;
        for (String line : cluster.topology.backendLog("be2").lines().toList()) {
            for (String user : users) {
                if (line.contains("Login: user=<" + user + ">")) {
                    count++;
                }
            }
        }
        return count;
    }

    private List<ClusterEvent> healthEvents() {
        return cluster.topology.gateway.director().recentEvents(200).stream()
                .filter(e -> e.type().equals("health")).toList();
    }

    private String assignedBackend(String user) throws IOException, InterruptedException {
        return admin(1, "/api/v1/users/" + user).path("backend").asText();
    }

    private JsonNode backendHealth(String id) throws IOException, InterruptedException {
        return find(admin(1, "/api/v1/health"), id);
    }

    private static JsonNode find(JsonNode health, String id) {
        for (JsonNode backend : health.get("backends")) {
            if (backend.get("id").asText().equals(id)) {
                return backend;
            }
        }
        throw new AssertionError("no backend " + id + " in " + health);
    }

    /** Polls node 1's GET /api/v1/health every 100 ms until the condition holds, and returns that response. */
    private JsonNode awaitHealth(Predicate<JsonNode> condition, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        JsonNode health;
        do {
            health = admin(1, "/api/v1/health");
            if (condition.test(health)) {
                return health;
            }
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("GET /api/v1/health did not reach the expected state within " + within
                + "; last answer: " + health);
    }

    private JsonNode admin(int node, String path) throws IOException, InterruptedException {
        String url = node == 1 ? cluster.topology.adminUrl() : cluster.node(node).adminUrl();
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url + path))
                        .timeout(Duration.ofSeconds(10))
                        .header("Authorization", "Bearer " + cluster.topology.adminToken).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), path + ": " + response.body());
        return JSON.readTree(response.body());
    }

    private CommandRun cli(int node, String... args) {
        String url = node == 1 ? cluster.topology.adminUrl() : cluster.node(node).adminUrl();
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--url", url, "--token-file", cluster.topology.state.resolve("admin-token").toString()));
        return CommandRun.execute(all.toArray(String[]::new));
    }

    // Stops a backend with doveadm and waits until its master process is gone, so that its
    // listeners refuse connections.
    private void stopBackend(String backendId) throws Exception {
        long pid = masterPid(backendId);
        ProcessHandle master = ProcessHandle.of(pid).orElseThrow();
        Topology.run(Duration.ofSeconds(30), "doveadm", "-c", cluster.topology.dovecotConfig(backendId).toString(),
                "stop");
        master.onExit().get(30, TimeUnit.SECONDS);
    }

    // Starts a stopped backend as its own daemon and records its PID in STATE/pids, so that
    // stop.sh stops it with the rest of the topology.
    private void startBackend(String backendId, String address) throws Exception {
        Path pidFile = cluster.topology.state.resolve("dovecot/" + backendId + "/run/master.pid");
        Files.deleteIfExists(pidFile);
        Topology.run(Duration.ofSeconds(30), "dovecot", "-c", cluster.topology.dovecotConfig(backendId).toString());
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!Files.exists(pidFile) || !accepts(address, 143)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(backendId + " did not listen within 15 s after dovecot started");
            }
            Thread.sleep(50);
        }
        Files.writeString(cluster.topology.state.resolve("pids"), masterPid(backendId) + " " + backendId + " dovecot\n",
                StandardOpenOption.APPEND);
    }

    private long masterPid(String backendId) throws IOException {
        Path pidFile = cluster.topology.state.resolve("dovecot/" + backendId + "/run/master.pid");
        return Long.parseLong(Files.readString(pidFile).strip());
    }

    private static boolean accepts(String host, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
