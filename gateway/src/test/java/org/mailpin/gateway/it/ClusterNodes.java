package org.mailpin.gateway.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.mailpin.director.Assignment;
import org.mailpin.gateway.mail.imap.ImapTestClient;

/**
 * A gateway cluster on top of {@link Topology}: node 1 is the topology's in-process node, nodes
 * 2 to N are {@code bin/mailpin serve} processes. Every node has one IMAP listener, and all
 * nodes list each other as Hazelcast members under a cluster name unique to this JVM.
 */
final class ClusterNodes implements AutoCloseable {

    static final Duration FORMATION_TIMEOUT = Duration.ofSeconds(120);
    private static final Pattern LOGIN = Pattern.compile("Login: user=<([^>]+)>");
    private static final Pattern AUTH_FAILURE = Pattern.compile("\\(auth failed.*user=<([^>]+)>");
    // The demo's start-up check logs in as this account on both backends.
    private static final String PROBE_USER = "probe@example.test";

    final Topology topology;
    final int node1ImapPort;
    final List<GatewayProcess> processes;
    private final Path jarFolder;

    private ClusterNodes(Topology topology, int node1ImapPort, List<GatewayProcess> processes, Path jarFolder) {
        this.topology = topology;
        this.node1ImapPort = node1ImapPort;
        this.processes = processes;
        this.jarFolder = jarFolder;
    }

    /**
     * Starts the topology with {@code users} demo users and node 1, then nodes 2 to
     * {@code nodeCount}, and waits until every IMAP listener sends its greeting and node 1 lists all members.
     */
    static ClusterNodes start(int nodeCount, int users, String userExpire) throws Exception {
        return start(nodeCount, users, userExpire, "", "");
    }

    /**
     * Starts the cluster as {@link #start(int, int, String)} does, with extra top-level YAML
     * appended to node 1's config and to the config of nodes 2 to N, e.g. a {@code health:} section.
     */
    static ClusterNodes start(int nodeCount, int users, String userExpire, String node1Yaml, String otherNodesYaml)
            throws Exception {
        // Others may rebuild gateway/target/mailpin.jar while the processes run, so they use a copy.
        Path jarFolder = Files.createTempDirectory("mailpin-it-cluster-jar-");
        Path jar = Files.copy(Topology.REPO.resolve("gateway/target/mailpin.jar"), jarFolder.resolve("mailpin.jar"),
                StandardCopyOption.REPLACE_EXISTING);

        List<Integer> clusterPorts = new ArrayList<>();
        for (int i = 0; i < nodeCount; i++) {
            clusterPorts.add(Topology.freePort());
        }
        String clusterName = "mailpin-it-" + ProcessHandle.current().pid();
        String members = String.join(", ", clusterPorts.stream().map(p -> "\"127.0.0.1:" + p + "\"").toList());

        int node1ImapPort = Topology.freePort();
        Topology topology;
        try {
            topology = Topology.start("separate", """
                    mail:
                      listeners:
                        - protocol: imap
                          listen: 127.0.0.1:%d
                    """.formatted(node1ImapPort) + node1Yaml, users, userExpire,
                    clusterYaml(clusterName, clusterPorts.get(0), members));
        } catch (Exception | Error e) {
            Files.delete(jar);
            Files.delete(jarFolder);
            throw e;
        }

        List<GatewayProcess> processes = new ArrayList<>();
        ClusterNodes cluster = new ClusterNodes(topology, node1ImapPort, processes, jarFolder);
        try {
            Path logs = Files.createDirectories(Path.of("target", "cluster-it-logs"));
            String token = topology.adminToken;
            for (int number = 2; number <= nodeCount; number++) {
                GatewayProcess node = new GatewayProcess(number, clusterPorts.get(number - 1),
                        topology.state.resolve("gateway-node" + number + ".yaml"),
                        logs.resolve("node" + number + ".log").toAbsolutePath(), jar, token);
                Files.deleteIfExists(node.log);
                node.writeConfig(userExpire, clusterYaml(clusterName, node.clusterPort, members) + otherNodesYaml);
                processes.add(node);
                node.start();
            }
            for (GatewayProcess node : processes) {
                cluster.awaitReady(node);
            }
            cluster.awaitMembers(nodeCount);
            return cluster;
        } catch (Exception | Error e) {
            cluster.close();
            throw e;
        }
    }

    private static String clusterYaml(String name, int bindPort, String members) {
        return """
                cluster:
                  name: %s
                  bind: 127.0.0.1:%d
                  members: [%s]
                """.formatted(name, bindPort, members);
    }

    /** Returns process node {@code number}, 2 to N. */
    GatewayProcess node(int number) {
        return processes.get(number - 2);
    }

    /** Returns the IMAP port of node {@code number}, 1 to N. */
    int imapPort(int number) {
        return number == 1 ? node1ImapPort : node(number).imapPort;
    }

    int memberCount() {
        return topology.gateway.director().hazelcast().getCluster().getMembers().size();
    }

    /** Waits until node 1 lists {@code count} Hazelcast members, failing after {@link #FORMATION_TIMEOUT}. */
    void awaitMembers(int count) {
        long deadline = System.nanoTime() + FORMATION_TIMEOUT.toNanos();
        while (memberCount() != count) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("node 1 lists " + memberCount() + " Hazelcast members, expected "
                        + count + " after " + FORMATION_TIMEOUT);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
        }
    }

    /** Waits until the node's IMAP listener sends a greeting and its admin API returns a user lookup. */
    void awaitReady(GatewayProcess node) throws InterruptedException {
        long deadline = System.nanoTime() + FORMATION_TIMEOUT.toNanos();
        String lastError = "";
        while (true) {
            if (!node.alive()) {
                throw new IllegalStateException("node " + node.number + " exited; its output ends with:\n"
                        + node.logTail(40));
            }
            try (ImapTestClient client = ImapTestClient.connect("127.0.0.1", node.imapPort)) {
                String greeting = client.readLine();
                if (greeting.startsWith("* OK")) {
                    node.adminUser("probe@example.test");
                    return;
                }
                lastError = "greeting " + greeting;
            } catch (IOException | IllegalStateException e) {
                lastError = e.toString();
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("node " + node.number + " not ready after " + FORMATION_TIMEOUT
                        + " (last error: " + lastError + "); its output ends with:\n" + node.logTail(40));
            }
            Thread.sleep(250);
        }
    }

    /** Starts a stopped or killed process node again with the same config and waits until it is ready. */
    void restart(GatewayProcess node, int expectedMembers) throws Exception {
        node.start();
        awaitReady(node);
        awaitMembers(expectedMembers);
    }

    /** Returns node 1's view of the user's backend, without creating or refreshing an assignment. */
    Optional<String> node1Backend(String user) {
        return topology.gateway.director().find(user).map(Assignment::backendId);
    }

    /**
     * Logs in over IMAP through the port, runs NOOP and LOGOUT, and returns the tagged LOGIN
     * response; a failed connect or read throws.
     */
    static String imapLogin(int port, String user, String password) throws IOException {
        try (ImapTestClient client = ImapTestClient.connect("127.0.0.1", port)) {
            client.readLine();
            String login = client.command("a1", "LOGIN " + user + " " + password);
            if (login.startsWith("a1 OK")) {
                client.command("a2", "NOOP");
                client.command("a3", "LOGOUT");
            }
            return login;
        }
    }

    /** Returns, per user, the backends whose Dovecot log shows a login of that user. */
    Map<String, Set<String>> loginBackends() throws IOException {
        return backendsByUser(LOGIN);
    }

    /**
     * Returns, per user, the backends whose Dovecot log shows a rejected login of that user,
     * which Dovecot 2.3's login process logs when the connection closes.
     */
    Map<String, Set<String>> authFailureBackends() throws IOException {
        return backendsByUser(AUTH_FAILURE);
    }

    private Map<String, Set<String>> backendsByUser(Pattern event) throws IOException {
        Map<String, Set<String>> backends = new HashMap<>();
        for (String backend : List.of("be1", "be2")) {
            for (String line : topology.backendLog(backend).lines().toList()) {
                Matcher m = event.matcher(line);
                if (m.find() && !m.group(1).equals(PROBE_USER)) {
                    backends.computeIfAbsent(m.group(1), u -> new TreeSet<>()).add(backend);
                }
            }
        }
        return backends;
    }

    /** Counts the logins of the user, or of every user but the probe account when null, in both backend logs. */
    long loginCount(String user) throws IOException {
        long count = 0;
        for (String backend : List.of("be1", "be2")) {
            for (String line : topology.backendLog(backend).lines().toList()) {
                Matcher m = LOGIN.matcher(line);
                if (m.find() && (user == null ? !m.group(1).equals(PROBE_USER) : m.group(1).equals(user))) {
                    count++;
                }
            }
        }
        return count;
    }

    /**
     * Waits up to {@code timeout} until both backend logs hold at least {@code count} logins of
     * the user, or of all users but the probe account when the user is null. Dovecot's log
     * process writes a moment after each login.
     */
    boolean awaitLoginCount(String user, long count, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (loginCount(user) < count) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(200);
        }
        return true;
    }

    @Override
    public void close() throws Exception {
        try {
            for (GatewayProcess node : processes) {
                node.stop();
            }
        } finally {
            try {
                topology.close();
            } finally {
                try (var files = Files.list(jarFolder)) {
                    for (Path file : files.toList()) {
                        Files.delete(file);
                    }
                }
                Files.delete(jarFolder);
            }
        }
    }
}
