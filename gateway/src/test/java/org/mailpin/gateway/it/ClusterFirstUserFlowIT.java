package org.mailpin.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.mailpin.gateway.mail.imap.ImapTestClient;

/**
 * Three gateway nodes, one user: the laptop logs in over IMAP through node 1, the phone through
 * node 2, and the browser through node 3's web listener. All three sessions must reach the
 * backend that the first login chose, whichever node made that choice.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterFirstUserFlowIT {

    ClusterNodes cluster;

    @BeforeAll
    void startCluster() throws Exception {
        cluster = ClusterNodes.start(3, Topology.USERS, "60m");
    }

    @AfterAll
    void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void threeNodesShareFirstAssignment() throws Exception {
        int index = 7;
        String user = Topology.user(index);
        String password = Topology.password(index);
        assertEquals(Optional.empty(), cluster.node1Backend(user), user + " assigned before its first login");

        try (ImapTestClient laptop = ImapTestClient.connect("127.0.0.1", cluster.imapPort(1));
             ImapTestClient phone = ImapTestClient.connect("127.0.0.1", cluster.imapPort(2))) {
            laptop.readLine();
            assertTrue(laptop.command("l1", "LOGIN " + user + " " + password).startsWith("l1 OK "),
                    "laptop login through node 1");
            assertTrue(laptop.command("l2", "SELECT INBOX").startsWith("l2 OK "), "laptop SELECT through node 1");

            phone.readLine();
            assertTrue(phone.command("p1", "LOGIN " + user + " " + password).startsWith("p1 OK "),
                    "phone login through node 2");
            assertTrue(phone.command("p2", "SELECT INBOX").startsWith("p2 OK "), "phone SELECT through node 2");

            WebmailClient browser = new WebmailClient(cluster.node(3).webBaseUrl());
            HttpResponse<String> login = browser.login(user, password);
            HttpResponse<String> list = browser.inboxList();
            assertEquals(302, login.statusCode(), "webmail login through node 3: " + login.body());
            assertTrue(list.body().contains("add_message_row"), "webmail INBOX list through node 3: " + list.body());

            String backend = cluster.node1Backend(user).orElseThrow();
            // Roundcube opens one IMAP connection per request, so webmail adds two or more logins.
            assertTrue(cluster.awaitLoginCount(user, 3, Duration.ofSeconds(15)), "three logins of " + user + " in the backend logs");
            Map<String, Set<String>> logins = cluster.loginBackends();
            assertEquals(Set.of(backend), logins.get(user), "backends whose log shows a login of " + user);

            assertEquals(Optional.of(backend),
                    GatewayProcess.adminBackend(cluster.topology.adminUrl(), cluster.topology.adminToken, user),
                    "node 1 admin API");
            assertEquals(Optional.of(backend), GatewayProcess.adminBackend(cluster.node(2).adminUrl(),
                    cluster.topology.adminToken, user), "node 2 admin API");
            assertEquals(Optional.of(backend), GatewayProcess.adminBackend(cluster.node(3).adminUrl(),
                    cluster.topology.adminToken, user), "node 3 admin API");
            assertEquals(1, cluster.node(3).adminUser(user).path("webSessions").size(),
                    "web sessions of " + user + " in node 3's admin API");
        }
    }

    // A load balancer in front of the nodes may send each request of one browser elsewhere.
    @Test
    void browserAlternatesBetweenNodes() throws Exception {
        int index = 9;
        String user = Topology.user(index);
        WebmailClient viaNode1 = new WebmailClient(cluster.topology.baseUrl());
        HttpResponse<String> login = viaNode1.login(user, Topology.password(index));
        assertEquals(302, login.statusCode(), "webmail login through node 1: " + login.body());
        String backend = cluster.node1Backend(user).orElseThrow();

        List<WebmailClient> nodes = List.of(viaNode1.sameBrowserAt(cluster.node(2).webBaseUrl()),
                viaNode1.sameBrowserAt(cluster.node(3).webBaseUrl()), viaNode1);
        for (int round = 0; round < 6; round++) {
            HttpResponse<String> list = nodes.get(round % 3).inboxList();
            assertTrue(list.body().contains("add_message_row"),
                    "INBOX list #" + round + " through node " + List.of(2, 3, 1).get(round % 3) + ": " + list.body());
        }

        assertEquals(Set.of(backend), cluster.loginBackends().get(user), "backends whose log shows a login of " + user);
        assertEquals(1, cluster.node(2).adminUser(user).path("webSessions").size(), "web sessions of " + user);
    }
}
