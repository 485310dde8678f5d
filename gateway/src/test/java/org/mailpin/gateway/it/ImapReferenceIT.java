package org.mailpin.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.mailpin.gateway.mail.imap.ImapTestClient;

/**
 * Mailpin's IMAP proxy against Dovecot 2.3's own director, both in front of the same two
 * backends with 100 vhosts each: every user must reach the same backend through either.
 *
 * <p>The backends log each login with {@code real_lip} (the backend's own address) and
 * {@code real_rip} (the proxy's address). Mailpin connects from 127.0.0.1 ({@code source-address})
 * and the director from its own address ({@code login_source_ips}), so each login line names
 * both the path and the backend it reached.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ImapReferenceIT {

    private static final int USERS = 220;
    private static final String MAILPIN_SOURCE = "127.0.0.1";
    private static final Path START_SCRIPT = Topology.REPO.resolve("examples/dovecot-director/start-director.sh");
    private static final Path STOP_SCRIPT = Topology.REPO.resolve("examples/dovecot-director/stop-director.sh");
    // start-director.sh listens on these fixed ports of its address: IMAP, POP3, LMTP, ManageSieve, ring.
    private static final List<Integer> DIRECTOR_PORTS = List.of(143, 110, 24, 4190, 9090);
    private static final Duration LOG_WAIT = Duration.ofSeconds(30);
    private static final Pattern LOGIN = Pattern.compile(
            "Login: user=<([^>]+)>.*real_lip=([0-9.]+), real_rip=([0-9.]+)");

    Topology topology;
    int mailpinPort;
    String directorAddress;
    Path directorState;

    @BeforeAll
    void start() throws Exception {
        Topology.run(Duration.ofMinutes(1), "bash", Topology.REPO.resolve("examples/install-deps.sh").toString(),
                "--check");
        mailpinPort = Topology.freePort();
        topology = Topology.start("separate", """
                mail:
                  source-address: %s
                  listeners:
                    - protocol: imap
                      listen: 127.0.0.1:%d
                """.formatted(MAILPIN_SOURCE, mailpinPort), USERS);

        directorAddress = unusedDirectorAddress();
        directorState = Files.createTempDirectory("mailpin-it-director-");
        // Dovecot's unprivileged login processes must reach the sockets below this folder.
        Files.setPosixFilePermissions(directorState, PosixFilePermissions.fromString("rwxr-xr-x"));
        Topology.run(Duration.ofMinutes(2), "bash", START_SCRIPT.toString(), "--ip", directorAddress,
                "--backends", "127.0.0.11 127.0.0.12", "--vhosts", "100 100", "--state", directorState.toString());
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (directorState != null && Files.exists(directorState.resolve("pids"))) {
                Topology.run(Duration.ofMinutes(1), "bash", STOP_SCRIPT.toString(), "--state", directorState.toString());
            }
            if (directorState != null) {
                deleteTree(directorState);
            }
        } finally {
            if (topology != null) {
                topology.close();
            }
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    // An address in 127.0.0.200-249 on which every port of the start script is free.
    private static String unusedDirectorAddress() {
        List<Integer> candidates = new ArrayList<>();
        for (int last = 200; last < 250; last++) {
            candidates.add(last);
        }
        Collections.shuffle(candidates);
        for (int last : candidates) {
            String address = "127.0.0." + last;
            if (DIRECTOR_PORTS.stream().allMatch(port -> canListen(address, port))) {
                return address;
            }
        }
        throw new IllegalStateException("no address in 127.0.0.200-249 has ports " + DIRECTOR_PORTS + " free");
    }

    private static boolean canListen(String address, int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(address), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void loginAndLogout(String host, int port, int index) throws IOException {
        try (ImapTestClient client = ImapTestClient.connect(host, port)) {
            client.readLine();
            String reply = client.command("a", "LOGIN " + Topology.user(index) + " " + Topology.password(index));
            assertTrue(reply.startsWith("a OK "), Topology.user(index) + " via " + host + ":" + port + ": " + reply);
            client.command("b", "LOGOUT");
        }
    }

    @Test
    void everyUserReachesTheSameBackend() throws Exception {
        for (int i = 1; i <= USERS; i++) {
            loginAndLogout("127.0.0.1", mailpinPort, i);
            loginAndLogout(directorAddress, 143, i);
        }

        Map<String, Set<String>> viaMailpin = new HashMap<>();
        Map<String, Set<String>> viaDirector = new HashMap<>();
        awaitLogins(viaMailpin, viaDirector);

        List<String> mismatches = new ArrayList<>();
        Set<String> assignedBackends = new HashSet<>();
        for (int i = 1; i <= USERS; i++) {
            String user = Topology.user(i);
            String assigned = topology.gateway.director().find(user).orElseThrow().backendId();
            assignedBackends.add(assigned);
            Set<String> expected = Set.of(assigned.equals("be1") ? "127.0.0.11" : "127.0.0.12");
            Set<String> mailpin = viaMailpin.getOrDefault(user, Set.of());
            Set<String> director = viaDirector.getOrDefault(user, Set.of());
            if (!mailpin.equals(expected) || !director.equals(expected)) {
                mismatches.add(user + ": Mailpin assigned " + expected + ", its login reached " + mailpin
                        + ", the director's reached " + director);
            }
        }
        assertEquals(List.of(), mismatches);
        assertEquals(USERS, viaMailpin.size());
        assertEquals(USERS, viaDirector.size());
        assertEquals(Set.of("be1", "be2"), assignedBackends);
    }

    // Collects the backend addresses (real_lip) that each test user's logins reached, by path (real_rip).
    private void awaitLogins(Map<String, Set<String>> viaMailpin, Map<String, Set<String>> viaDirector)
            throws Exception {
        Set<String> users = new HashSet<>();
        for (int i = 1; i <= USERS; i++) {
            users.add(Topology.user(i));
        }
        long deadline = System.nanoTime() + LOG_WAIT.toNanos();
        while (true) {
            viaMailpin.clear();
            viaDirector.clear();
            for (String backend : List.of("be1", "be2")) {
                for (String line : topology.backendLog(backend).lines().toList()) {
                    Matcher m = LOGIN.matcher(line);
                    if (!m.find() || !users.contains(m.group(1))) {
                        continue;
                    }
                    Map<String, Set<String>> target = m.group(3).equals(directorAddress) ? viaDirector
                            : m.group(3).equals(MAILPIN_SOURCE) ? viaMailpin : null;
                    if (target != null) {
                        target.computeIfAbsent(m.group(1), user -> new HashSet<>()).add(m.group(2));
                    }
                }
            }
            boolean complete = viaMailpin.size() >= USERS && viaDirector.size() >= USERS;
            if (complete || System.nanoTime() > deadline) {
                return;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
        }
    }
}
