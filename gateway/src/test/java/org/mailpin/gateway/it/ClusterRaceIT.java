package org.mailpin.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.mailpin.gateway.mail.imap.ImapTestClient;

/**
 * Two gateway nodes race on every new user: one thread per node sends the user's first IMAP
 * LOGIN at the same moment, so both nodes ask the director for an assignment that does not
 * exist yet. Both logins must reach the same backend.
 *
 * <p>The demo script creates at most 999 users, so a second race uses 1002 names without an
 * account: the gateway assigns a backend before the backend checks the password, so those
 * logins race on the assignment just the same, and the backend logs show where each rejected
 * login went.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterRaceIT {

    private static final int USERS = 999;
    // Pairs of threads, so 8 users race at a time.
    private static final int THREADS = 16;
    private static final int FIRST_UNKNOWN = 1000;
    private static final int LAST_UNKNOWN = 2001;
    // Dovecot delays each rejected login (auth_failure_delay, 2 s by default), so more pairs run at once.
    private static final int UNKNOWN_THREADS = 64;
    // With one client address, rejections slowed to 2 or 3 users a second and some took over
    // 5 s, so each user connects from its own 127.1.x.y address, which the proxy forwards to
    // Dovecot as the client address.
    private static final int REJECTION_TIMEOUT_MILLIS = 60_000;

    ClusterNodes cluster;

    @BeforeAll
    void startCluster() throws Exception {
        long started = System.nanoTime();
        cluster = ClusterNodes.start(2, USERS, "60m");
        System.out.printf("ClusterRaceIT: topology with %d users and 2 nodes started in %d s%n", USERS,
                TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started));
    }

    @AfterAll
    void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    // Connects and reads the greeting, waits for the other node's thread, then sends LOGIN.
    private String racingLogin(int node, int index, CyclicBarrier start) throws Exception {
        try (ImapTestClient client = ImapTestClient.connect("127.0.0.1", cluster.imapPort(node))) {
            client.readLine();
            start.await(60, TimeUnit.SECONDS);
            String login = client.command("a1", "LOGIN " + Topology.user(index) + " " + Topology.password(index));
            if (login.startsWith("a1 OK")) {
                client.command("a2", "LOGOUT");
            }
            return login;
        }
    }

    @Test
    void simultaneousFirstLoginsAgreeOnBackend() throws Exception {
        List<Future<String>> node1Logins = new ArrayList<>();
        List<Future<String>> node2Logins = new ArrayList<>();
        long started = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            for (int i = 1; i <= USERS; i++) {
                int index = i;
                CyclicBarrier start = new CyclicBarrier(2);
                node1Logins.add(pool.submit(() -> racingLogin(1, index, start)));
                node2Logins.add(pool.submit(() -> racingLogin(2, index, start)));
            }
        } finally {
            pool.shutdown();
        }
        assertTrue(pool.awaitTermination(5, TimeUnit.MINUTES), "the racing logins did not finish in 5 minutes");
        long raceSeconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);

        List<String> failedLogins = new ArrayList<>();
        for (int i = 1; i <= USERS; i++) {
            String node1 = node1Logins.get(i - 1).get();
            String node2 = node2Logins.get(i - 1).get();
            if (!node1.startsWith("a1 OK") || !node2.startsWith("a1 OK")) {
                failedLogins.add(Topology.user(i) + ": node 1 " + node1 + ", node 2 " + node2);
            }
        }
        assertEquals(List.of(), failedLogins.subList(0, Math.min(10, failedLogins.size())),
                failedLogins.size() + " users with a failed login");

        assertTrue(cluster.awaitLoginCount(null, 2L * USERS, Duration.ofSeconds(60)),
                "backend logs hold " + cluster.loginCount(null) + " logins, expected " + 2 * USERS);
        Map<String, Set<String>> logins = cluster.loginBackends();
        List<String> logDisagreements = new ArrayList<>();
        List<String> adminDisagreements = new ArrayList<>();
        for (int i = 1; i <= USERS; i++) {
            String user = Topology.user(i);
            Set<String> backends = logins.getOrDefault(user, Set.of());
            if (backends.size() != 1) {
                logDisagreements.add(user + " logged in on " + backends);
                continue;
            }
            String backend = backends.iterator().next();
            Optional<String> node1 = cluster.node1Backend(user);
            Optional<String> node2 = GatewayProcess.adminBackend(cluster.node(2).adminUrl(),
                    cluster.topology.adminToken, user);
            if (!node1.equals(Optional.of(backend)) || !node2.equals(Optional.of(backend))) {
                adminDisagreements.add(user + ": logins on " + backend + ", node 1 " + node1 + ", node 2 " + node2);
            }
        }
        System.out.printf("ClusterRaceIT: %d users raced through 2 nodes in %d s, %d log and %d admin disagreements%n",
                USERS, raceSeconds, logDisagreements.size(), adminDisagreements.size());

        assertEquals(List.of(), logDisagreements, "users whose two logins reached different backends");
        assertEquals(List.of(), adminDisagreements, "users whose assignment differs from their logins");
        assertEquals(Set.of("be1", "be2"), Set.copyOf(logins.values().stream().flatMap(Set::stream).toList()),
                "backends that received logins");
    }

    // Like racingLogin, but on a plain socket because ImapTestClient times out reads after 5 s.
    private String racingRejectedLogin(int node, int index, CyclicBarrier start) throws Exception {
        try (Socket socket = new Socket()) {
            socket.bind(new InetSocketAddress("127.1." + index / 256 + "." + index % 256, 0));
            socket.connect(new InetSocketAddress("127.0.0.1", cluster.imapPort(node)), 5000);
            socket.setSoTimeout(REJECTION_TIMEOUT_MILLIS);
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.US_ASCII));
            OutputStream out = socket.getOutputStream();
            in.readLine();
            start.await(120, TimeUnit.SECONDS);

            out.write(("a1 LOGIN " + Topology.user(index) + " " + Topology.password(index) + "\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.startsWith("a1 ")) {
                    return line;
                }
            }
            return "connection closed before the LOGIN reply";
        }
    }

    @Test
    void simultaneousRejectedLoginsAgreeOnBackend() throws Exception {
        List<Future<String>> node1Logins = new ArrayList<>();
        List<Future<String>> node2Logins = new ArrayList<>();
        long started = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(UNKNOWN_THREADS);
        try {
            for (int i = FIRST_UNKNOWN; i <= LAST_UNKNOWN; i++) {
                int index = i;
                CyclicBarrier start = new CyclicBarrier(2);
                node1Logins.add(pool.submit(() -> racingRejectedLogin(1, index, start)));
                node2Logins.add(pool.submit(() -> racingRejectedLogin(2, index, start)));
            }
        } finally {
            pool.shutdown();
        }
        assertTrue(pool.awaitTermination(8, TimeUnit.MINUTES), "the racing logins did not finish in 8 minutes");
        long raceSeconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
        int users = LAST_UNKNOWN - FIRST_UNKNOWN + 1;

        List<String> unexpectedReplies = new ArrayList<>();
        for (int i = 0; i < users; i++) {
            String node1 = node1Logins.get(i).get();
            String node2 = node2Logins.get(i).get();
            if (!node1.startsWith("a1 NO") || !node2.startsWith("a1 NO")) {
                unexpectedReplies.add(Topology.user(FIRST_UNKNOWN + i) + ": node 1 " + node1 + ", node 2 " + node2);
            }
        }
        assertEquals(List.of(), unexpectedReplies.subList(0, Math.min(10, unexpectedReplies.size())),
                unexpectedReplies.size() + " users without account whose login was not rejected");

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        Map<String, Set<String>> failures = cluster.authFailureBackends();
        while (failures.size() < users && System.nanoTime() < deadline) {
            Thread.sleep(500);
            failures = cluster.authFailureBackends();
        }
        List<String> disagreements = new ArrayList<>();
        for (int i = FIRST_UNKNOWN; i <= LAST_UNKNOWN; i++) {
            String user = Topology.user(i);
            Set<String> backends = failures.getOrDefault(user, Set.of());
            Optional<String> node1 = cluster.node1Backend(user);
            if (backends.size() != 1 || !node1.equals(Optional.of(backends.iterator().next()))) {
                disagreements.add(user + ": rejected on " + backends + ", node 1 " + node1);
            }
        }
        System.out.printf("ClusterRaceIT: %d users without account raced through 2 nodes in %d s, %d disagreements%n",
                users, raceSeconds, disagreements.size());

        assertEquals(List.of(), disagreements.subList(0, Math.min(20, disagreements.size())),
                disagreements.size() + " users whose two rejected logins reached different backends or none");
    }
}
