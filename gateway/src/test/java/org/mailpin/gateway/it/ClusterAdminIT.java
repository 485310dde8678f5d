package org.mailpin.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.mailpin.gateway.cli.CommandRun;
import org.mailpin.gateway.mail.imap.ImapTestClient;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The admin verbs across three gateway nodes with real Dovecot backends. A change made with the
 * CLI against one node is in force on every node within one second. Kicks, downs and moves close
 * the user's proxied connections on whichever nodes have them open.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 10, unit = java.util.concurrent.TimeUnit.MINUTES)
class ClusterAdminIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration ONE_SECOND = Duration.ofSeconds(1);

    private final HttpClient http = HttpClient.newHttpClient();
    private ClusterNodes cluster;
    private Path tokenFile;

    @BeforeAll
    void startCluster() throws Exception {
        cluster = ClusterNodes.start(3, Topology.USERS, "60m");
        tokenFile = cluster.topology.state.resolve("admin-token");
    }

    @AfterAll
    void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    // Each test leaves both backends up with their configured weight for the next.
    @AfterEach
    void restoreBackends() {
        for (String id : List.of("be1", "be2")) {
            cli(1, "up", id);
            cli(1, "update", id, "--vhosts", "100");
        }
    }

    @Test
    void downReachesAllNodesAndDrains() throws Exception {
        String user = userOn("be2");
        try (ImapTestClient phone = loggedIn(3, user)) {
            CommandRun down = cli(1, "down", "be2");

            assertEquals(0, down.exitCode(), down.err());
            assertTrue(down.out().contains("backend be2 (127.0.0.12) marked down"), down.out());
            for (int node = 1; node <= 3; node++) {
                awaitBackend(node, "be2", b -> !b.get("up").asBoolean(), ONE_SECOND);
            }
            assertTrue(phone.closedByServer(), "node 3 kept the connection of " + user + " to the downed be2");
        }
        // The drain counts its connections after the last one is closed, a moment after the client sees it.
        String metrics = metrics(3);
        for (int i = 0; i < 50 && !metrics.contains("mailpin_drained_connections_total{backend=\"be2\"}"); i++) {
            Thread.sleep(100);
            metrics = metrics(3);
        }
        assertTrue(metrics.contains("mailpin_drained_connections_total{backend=\"be2\"} 1.0"), metrics);
        assertTrue(metrics.contains("mailpin_backend_up{backend=\"be2\"} 0.0"), metrics);
        assertTrue(metrics.contains("mailpin_backend_healthy{backend=\"be2\"} 1.0"), metrics);

        try (ImapTestClient again = loggedIn(2, user)) {
            assertEquals("be1", assignedBackend(2, user), user + " after be2 went down");
        }

        cli(2, "up", "be2");
        for (int node = 1; node <= 3; node++) {
            awaitBackend(node, "be2", b -> b.get("up").asBoolean(), ONE_SECOND);
        }
        assertEquals("be1", assignedBackend(3, user), user + " must stay on be1 after be2 came back, until expiry or flush");
    }

    @Test
    void updateReachesEveryNodeWithinOneSecond() throws Exception {
        CommandRun update = cli(2, "update", "be1", "--vhosts", "37");

        assertEquals(0, update.exitCode(), update.err());
        for (int node = 1; node <= 3; node++) {
            awaitBackend(node, "be1", b -> b.get("vhosts").asInt() == 37, ONE_SECOND);
        }
    }

    @Test
    void moveKicksConnectionsOnOtherNodes() throws Exception {
        String user = userOn("be1");
        try (ImapTestClient laptop = loggedIn(1, user); ImapTestClient phone = loggedIn(2, user)) {
            CommandRun move = cli(3, "move", user, "be2");

            assertEquals(0, move.exitCode(), move.err());
            assertTrue(move.out().contains(user + ": be1 -> be2 (connections kicked)"), move.out());
            for (int node = 1; node <= 3; node++) {
                awaitAssigned(node, user, "be2", ONE_SECOND);
            }
            assertTrue(laptop.closedByServer(), "node 1 kept the laptop connection on be1 after the move");
            assertTrue(phone.closedByServer(), "node 2 kept the phone connection on be1 after the move");
        }
        try (ImapTestClient back = loggedIn(1, user)) {
            assertEquals("be2", assignedBackend(1, user));
        }

        CommandRun lookup = cli(2, "lookup", user);
        assertTrue(lookup.out().contains("moved by an administrator"), lookup.out());
    }

    @Test
    void kickClosesConnectionsOnEveryNode() throws Exception {
        String user = userOn("be2");
        try (ImapTestClient laptop = loggedIn(1, user); ImapTestClient phone = loggedIn(3, user)) {
            CommandRun kick = cli(2, "kick", user);

            assertEquals(0, kick.exitCode(), kick.err());
            assertTrue(laptop.closedByServer(), "node 1 kept the connection after the kick");
            assertTrue(phone.closedByServer(), "node 3 kept the connection after the kick");
        }
    }

    @Test
    void flushReturnsMovedUserToRingChoice() throws Exception {
        String user = userOn("be1");
        cli(1, "move", user, "be2");
        try (ImapTestClient phone = loggedIn(2, user)) {
            CommandRun flush = cli(3, "flush", "be2");

            assertEquals(0, flush.exitCode(), flush.err());
            String done = flush.out().lines().filter(line -> line.startsWith("done: ")).findFirst().orElseThrow();
            assertTrue(done.matches("done: (\\d+) of \\1 user\\(s\\) moved"), flush.out());
            assertTrue(phone.closedByServer(), "node 2 kept the connection on be2 after the flush");
            awaitAssigned(1, user, "be1", ONE_SECOND);
        }
    }

    // Dovecot's admin socket could drop commands sent back to back; here each must apply, in order.
    @Test
    void backToBackCommandsAllApplyInOrder() throws Exception {
        List<String> states = new ArrayList<>();
        List<String> answers = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String verb = i % 2 == 0 ? "down" : "up";
            CommandRun result = cli(1 + i % 3, verb, "be1");
            assertEquals(0, result.exitCode(), verb + " #" + i + ": " + result.err());
            // Node 1 runs in this JVM, so its log lines share the captured output.
            String answer = result.out().lines().filter(line -> line.startsWith("backend be1 ")).findFirst().orElse("");
            states.add(answer.contains(": down,") ? "down" : "up");
            answers.add(answer);
            CommandRun vhosts = cli(1 + (i + 1) % 3, "update", "be1", "--vhosts", Integer.toString(10 + i));
            assertEquals(0, vhosts.exitCode(), vhosts.err());
        }

        for (int i = 0; i < 20; i++) {
            assertEquals(i % 2 == 0 ? "down" : "up", states.get(i), "answer to command #" + i + " in " + answers);
        }
        for (int node = 1; node <= 3; node++) {
            awaitBackend(node, "be1", b -> b.get("up").asBoolean() && b.get("vhosts").asInt() == 29, ONE_SECOND);
        }
    }

    @Test
    void readVerbsPrintTablesAndJson() throws Exception {
        String user = userOn("be1");
        try (ImapTestClient laptop = loggedIn(2, user)) {
            awaitConnections("be1", 1, Duration.ofSeconds(10));
            CommandRun status = cli(1, "status");
            CommandRun map = cli(3, "map", "--backend", "be1");
            CommandRun mapJson = cli(3, "map", "--backend", "be1", "--json");
            CommandRun clusterStatus = cli(2, "cluster", "status");

            assertTrue(status.out().lines().anyMatch(line -> line.equals(
                    "BACKEND  ADDRESS     STATE  VHOSTS  TAG  USERS  CONNECTIONS")), status.out());
            assertTrue(status.out().contains("live mail connection(s) on all nodes"), status.out());
            assertTrue(map.out().lines().anyMatch(line -> line.startsWith(user + "  be1  ")), map.out());
            JsonNode users = JSON.readTree(mapJson.out()).get("users");
            assertTrue(users.size() >= 1, mapJson.out());
            users.forEach(entry -> assertEquals("be1", entry.get("backend").asText(), mapJson.out()));
            assertEquals(3, clusterStatus.out().lines().filter(line -> line.startsWith("it-node")).count(),
                    clusterStatus.out());
        }
    }

    @Test
    void errorsNameValueAndExitCode() {
        CommandRun unknown = cli(1, "down", "be9");
        CommandRun badVhosts = cli(1, "update", "be1", "--vhosts", "5000");
        CommandRun badToken = CommandRun.execute("status", "--url", cluster.node(2).adminUrl(),
                "--token-file", "/etc/hostname");

        assertEquals(67, unknown.exitCode());
        assertTrue(unknown.err().contains("no backend with id 'be9'; known backends: be1, be2"), unknown.err());
        assertEquals(65, badVhosts.exitCode());
        assertTrue(badVhosts.err().contains("invalid vhosts 5000: expected 0 to 1000"), badVhosts.err());
        assertEquals(77, badToken.exitCode());
    }

    private CommandRun cli(int node, String... args) {
        String url = node == 1 ? cluster.topology.adminUrl() : cluster.node(node).adminUrl();
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--url", url, "--token-file", tokenFile.toString()));
        return CommandRun.execute(all.toArray(String[]::new));
    }

    private String userOn(String backend) {
        for (int i = 1; i <= Topology.USERS; i++) {
            String user = Topology.user(i);
            if (cluster.topology.gateway.director().find(user).isEmpty()
                    && cluster.topology.gateway.director().ringChoice(user).orElseThrow().id().equals(backend)) {
                return user;
            }
        }
        throw new IllegalStateException("no unassigned demo user left whose ring choice is " + backend);
    }

    private ImapTestClient loggedIn(int node, String user) throws IOException {
        ImapTestClient client = ImapTestClient.connect("127.0.0.1", cluster.imapPort(node));
        client.readLine();
        String login = client.command("a1", "LOGIN " + user + " " + Topology.password(Topology.index(user)));
        assertTrue(login.startsWith("a1 OK"), "login of " + user + " through node " + node + ": " + login);
        return client;
    }

    private JsonNode admin(int node, String path) throws IOException, InterruptedException {
        String url = node == 1 ? cluster.topology.adminUrl() : cluster.node(node).adminUrl();
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url + path))
                .header("Authorization", "Bearer " + cluster.topology.adminToken).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), path + ": " + response.body());
        return JSON.readTree(response.body());
    }

    private String metrics(int node) throws IOException, InterruptedException {
        String url = node == 1 ? cluster.topology.adminUrl() : cluster.node(node).adminUrl();
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url + "/metrics"))
                .header("Authorization", "Bearer " + cluster.topology.adminToken).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), "/metrics: " + response.body());
        return response.body();
    }

    private String assignedBackend(int node, String user) throws IOException, InterruptedException {
        return admin(node, "/api/v1/users/" + user).path("backend").asText();
    }

    private void awaitBackend(int node, String id, Predicate<JsonNode> condition, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        JsonNode backend;
        do {
            backend = null;
            for (JsonNode b : admin(node, "/api/v1/backends").get("backends")) {
                if (b.get("id").asText().equals(id)) {
                    backend = b;
                }
            }
            if (backend != null && condition.test(backend)) {
                return;
            }
        } while (System.nanoTime() < deadline);
        throw new AssertionError("node " + node + " did not show the change of " + id + " within " + within
                + "; it shows " + backend);
    }

    private void awaitAssigned(int node, String user, String backend, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        String seen;
        do {
            seen = assignedBackend(node, user);
            if (seen.equals(backend)) {
                return;
            }
        } while (System.nanoTime() < deadline);
        throw new AssertionError("node " + node + " shows " + user + " on " + seen + ", not " + backend
                + ", " + within + " after the change");
    }

    private void awaitConnections(String backend, int atLeast, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            for (JsonNode b : admin(1, "/api/v1/status").get("backends")) {
                if (b.get("id").asText().equals(backend) && b.get("connections").asInt() >= atLeast) {
                    return;
                }
            }
            Thread.sleep(200);
        }
        throw new AssertionError("status never counted " + atLeast + " connection(s) on " + backend);
    }
}
