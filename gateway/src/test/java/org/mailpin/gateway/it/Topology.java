package org.mailpin.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.mailpin.gateway.GatewayServer;
import org.mailpin.gateway.config.ConfigLoader;

/**
 * The demo topology for integration tests: two real Dovecot backends and two real Roundcube
 * instances started by the demo script, and a gateway node started in this JVM on free ports.
 */
final class Topology implements AutoCloseable {

    static final Path REPO = findRepo();
    static final int USERS = 24;

    final String shape;
    final Path state;
    final int webPort;
    final int adminPort;
    final GatewayServer gateway;
    final String adminToken;

    private Topology(String shape, Path state, int webPort, int adminPort, GatewayServer gateway, String adminToken) {
        this.shape = shape;
        this.state = state;
        this.webPort = webPort;
        this.adminPort = adminPort;
        this.gateway = gateway;
        this.adminToken = adminToken;
    }

    /** Starts Dovecot and Roundcube with the demo script, then a gateway node in this JVM. */
    static Topology start(String shape) throws Exception {
        return start(shape, "");
    }

    /**
     * Starts the topology with extra top-level YAML appended to the gateway config, e.g. a
     * {@code mail:} section with listeners on free ports.
     */
    static Topology start(String shape, String extraYaml) throws Exception {
        return start(shape, extraYaml, USERS);
    }

    /** Starts the topology with {@code users} demo users (1 to 999) instead of {@link #USERS}. */
    static Topology start(String shape, String extraYaml, int users) throws Exception {
        return start(shape, extraYaml, users, "60m", null);
    }

    /**
     * Starts the topology with the given {@code director.user-expire} and, unless
     * {@code clusterYaml} is null, that {@code cluster:} section in place of the default one,
     * which binds a free port and lists no members.
     */
    static Topology start(String shape, String extraYaml, int users, String userExpire, String clusterYaml)
            throws Exception {
        TopologyLock.acquire();
        try {
            return startLocked(shape, extraYaml, users, userExpire, clusterYaml);
        } catch (Exception | Error e) {
            TopologyLock.release();
            throw e;
        }
    }

    private static Topology startLocked(String shape, String extraYaml, int users, String userExpire,
            String clusterYaml) throws Exception {
        Path state = Files.createTempDirectory("mailpin-it-" + shape + "-");
        run(Duration.ofMinutes(5), REPO.resolve("examples/seed-topology/start.sh").toString(),
                "--shape", shape, "--state", state.toString(), "--no-gateway", "--users", Integer.toString(users));

        int webPort = freePort();
        int adminPort = freePort();
        String cluster = clusterYaml != null ? clusterYaml : """
                cluster:
                  bind: 127.0.0.1:%d
                """.formatted(freePort());
        Path config = state.resolve("gateway-it.yaml");
        Files.writeString(config, """
                node: it-node
                director:
                  user-expire: %s
                  username:
                    lowercase: true
                    default-domain: example.test
                backends:
                  - id: be1
                    address: 127.0.0.11
                    vhosts: 100
                    submission-port: 587
                    webmail: rc1
                  - id: be2
                    address: 127.0.0.12
                    vhosts: 100
                    submission-port: 587
                    webmail: rc2
                web:
                  listen: 127.0.0.1:%d
                  prefix: /mail/
                  public-hosts: ["127.0.0.1:%d", "localhost:%d"]
                  secret-file: secret
                  shared-sessions: %s
                  roundcube:
                    - id: rc1
                      url: http://127.0.0.21:8081/
                    - id: rc2
                      url: http://127.0.0.22:8082/
                admin:
                  listen: 127.0.0.1:%d
                  token-file: admin-token
                """.formatted(userExpire, webPort, webPort, webPort, shape.equals("shared"), adminPort) + cluster + extraYaml);

        GatewayServer gateway = GatewayServer.start(ConfigLoader.load(config), InstantSource.system());
        return new Topology(shape, state, webPort, adminPort, gateway,
                Files.readString(state.resolve("admin-token")).strip());
    }

    String baseUrl() {
        return "http://127.0.0.1:" + webPort + "/mail/";
    }

    String adminUrl() {
        return "http://127.0.0.1:" + adminPort;
    }

    static String user(int i) {
        return "user%02d@example.test".formatted(i);
    }

    /** Returns the number of a demo user, e.g. 7 for user07@example.test. */
    static int index(String user) {
        return Integer.parseInt(user.substring(4, user.indexOf('@')));
    }

    static String password(int i) {
        return "secret%02d".formatted(i);
    }

    /** Returns the Dovecot log of one backend; logins there name the user. */
    String backendLog(String backendId) throws IOException {
        Path log = state.resolve("logs/" + backendId + ".log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    Path dovecotConfig(String backendId) {
        return state.resolve("dovecot/" + backendId + ".conf");
    }

    /**
     * Makes one backend's passdb read {@code passwdFile} in place of the users file both backends
     * share, and reloads that backend. Dovecot's auth process restarts some time after
     * {@code doveadm reload} returns, so callers wait for the new file to take effect.
     */
    void usePasswdFile(String backendId, Path passwdFile) throws Exception {
        Path config = dovecotConfig(backendId);
        String text = Files.readString(config);
        String changed = text.replaceFirst("args = scheme=SHA512-CRYPT \\S+",
                java.util.regex.Matcher.quoteReplacement("args = scheme=SHA512-CRYPT " + passwdFile));
        if (changed.equals(text) && !text.contains("SHA512-CRYPT " + passwdFile)) {
            throw new IllegalStateException("no passdb line 'args = scheme=SHA512-CRYPT FILE' in " + config);
        }
        Files.writeString(config, changed);
        run(Duration.ofSeconds(30), "doveadm", "-c", config.toString(), "reload");
    }

    /** Stops a backend with doveadm and waits until its master process is gone, so its ports refuse connections. */
    void stopBackend(String backendId) throws Exception {
        Path pidFile = state.resolve("dovecot/" + backendId + "/run/master.pid");
        long pid = Long.parseLong(Files.readString(pidFile).strip());
        ProcessHandle master = ProcessHandle.of(pid).orElseThrow();
        run(Duration.ofSeconds(30), "doveadm", "-c", dovecotConfig(backendId).toString(), "stop");
        master.onExit().get(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
        try {
            gateway.close();
        } finally {
            run(Duration.ofMinutes(2), REPO.resolve("examples/seed-topology/stop.sh").toString(),
                    "--state", state.toString());
            deleteTree(state);
            TopologyLock.release();
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (var paths = Files.walk(root)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    static void run(Duration timeout, String... command) throws Exception {
        Path output = Files.createTempFile("mailpin-it-command-", ".log");
        Process process = new ProcessBuilder(List.of(command)).redirectErrorStream(true)
                .redirectOutput(output.toFile()).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .start();
        if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " did not finish in " + timeout
                    + "; output:\n" + Files.readString(output));
        }
        assertEquals(0, process.exitValue(), () -> {
            try {
                return String.join(" ", command) + " failed; output:\n" + Files.readString(output);
            } catch (IOException e) {
                return String.join(" ", command) + " failed";
            }
        });
        Files.deleteIfExists(output);
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static Path findRepo() {
        Path dir = Path.of("").toAbsolutePath();
        List<Path> tried = new ArrayList<>();
        while (dir != null) {
            if (Files.exists(dir.resolve("examples/seed-topology/start.sh"))) {
                return dir;
            }
            tried.add(dir);
            dir = dir.getParent();
        }
        throw new IllegalStateException("repository root not found above " + tried.get(0));
    }
}
