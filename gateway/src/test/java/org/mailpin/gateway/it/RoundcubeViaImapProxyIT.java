package org.mailpin.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mailpin.director.Assignment;

/**
 * Roundcube without the mailpin plugin, whose {@code imap_host} is the gateway's IMAP listener.
 *
 * <p>In this setup every Roundcube instance connects to one constant IMAP host, the gateway,
 * and the gateway's IMAP proxy sends each login to the backend that the director assigns to
 * the user. It needs no Roundcube plugin and no web gateway in front of Roundcube. But it gives
 * up the web pin, because browsers reach Roundcube directly and nothing routes a user's HTTP
 * requests to one instance. Only the IMAP proxy keeps the user's mail sessions on one backend.
 *
 * <p>The test builds a third Roundcube instance, rc3, next to the demo topology's rc1 and rc2.
 * Like those, rc3 is a private tree of symlinks into Debian's {@code /usr/share/roundcube} with
 * its own config folder and SQLite database, served by {@code php -S} on 127.0.0.23.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RoundcubeViaImapProxyIT {

    private static final String WEBMAIL_ID = "rc3";
    private static final String WEBMAIL_ADDRESS = "127.0.0.23";
    private static final Path ROUNDCUBE_SHARE = Path.of("/usr/share/roundcube");
    private static final Path ROUNDCUBE_DEFAULTS = Path.of("/etc/roundcube/defaults.inc.php");
    private static final Path ROUNDCUBE_MIMETYPES = Path.of("/etc/roundcube/mimetypes.php");
    private static final Duration START_WAIT = Duration.ofSeconds(15);
    private static final Duration STOP_WAIT = Duration.ofSeconds(10);
    private static final Duration LOG_WAIT = Duration.ofSeconds(15);
    // Roundcube 1.6 opens one IMAP connection per request: the login POST, the mail view and the list.
    private static final int LOGINS_PER_SESSION = 3;

    Topology topology;
    int imapPort;
    int webmailPort;
    Path webmailLogs;
    Process roundcube;

    @BeforeAll
    void startTopologyAndRoundcube() throws Exception {
        imapPort = Topology.freePort();
        topology = Topology.start("separate", """
                mail:
                  listeners:
                    - protocol: imap
                      listen: 127.0.0.1:%d
                """.formatted(imapPort));

        // Topology.freePort checks 127.0.0.1 only, so php -S fails at start if the port is taken on 127.0.0.23.
        webmailPort = Topology.freePort();
        Path instance = topology.state.resolve("roundcube/" + WEBMAIL_ID);
        webmailLogs = topology.state.resolve("logs/" + WEBMAIL_ID);
        buildRoundcubeRoot(instance.resolve("root"));
        Path database = topology.state.resolve("roundcube/" + WEBMAIL_ID + ".db");
        writeRoundcubeConfig(instance.resolve("config"), instance.resolve("temp"), database);
        Topology.run(Duration.ofMinutes(1), "sqlite3", "-bail", database.toString(),
                ".read " + ROUNDCUBE_SHARE.resolve("SQL/sqlite.initial.sql"));
        roundcube = startRoundcube(instance);
    }

    @AfterAll
    void stopRoundcubeAndTopology() throws Exception {
        try {
            if (roundcube != null) {
                stopProcessTree(roundcube);
            }
        } finally {
            if (topology != null) {
                topology.close();
            }
        }
    }

    @ParameterizedTest(name = "user owned by {0}")
    @ValueSource(strings = {"be1", "be2"})
    void loginThroughProxyLandsOnOwner(String owner) throws Exception {
        String other = owner.equals("be1") ? "be2" : "be1";
        int index = firstUserOwnedBy(owner);
        String user = Topology.user(index);
        // The demo script's start-up check and earlier tests log in too, so only later lines count.
        int ownerStart = topology.backendLog(owner).length();
        int otherStart = topology.backendLog(other).length();
        boolean assignedBefore = topology.gateway.director().find(user).isPresent();

        WebmailClient browser = new WebmailClient(webmailUrl());
        HttpResponse<String> login = browser.login(user, Topology.password(index));
        HttpResponse<String> list = browser.inboxList();
        boolean ownerLogged = awaitLogins(owner, ownerStart, user, LOGINS_PER_SESSION);
        List<String> ownerLogins = loginLines(owner, ownerStart, user);
        List<String> otherLogins = loginLines(other, otherStart, user);
        String assigned = topology.gateway.director().find(user).map(Assignment::backendId).orElse(null);

        assertFalse(assignedBefore, user + " had a director assignment before the login");
        assertEquals(302, login.statusCode(), user + ": login status, body: " + login.body());
        assertTrue(list.body().contains("add_message_row"), user + ": INBOX list has no message row: " + list.body());
        assertTrue(ownerLogged, user + ": fewer than " + LOGINS_PER_SESSION + " IMAP logins in " + owner
                + ".log since the test started: " + ownerLogins);
        // The gateway's IMAP proxy forwards its connection id as x-session-ext-id, which
        // Dovecot logs as session=<imap-...>. A direct connection would get a Dovecot id instead.
        assertTrue(ownerLogins.stream().allMatch(l -> l.contains("session=<imap-")),
                user + ": a login in " + owner + ".log did not come through the gateway: " + ownerLogins);
        assertEquals(List.of(), otherLogins, user + ": IMAP logins on " + other);
        assertEquals(owner, assigned, user + ": director assignment");
    }

    private int firstUserOwnedBy(String backendId) {
        return IntStream.rangeClosed(1, Topology.USERS)
                .filter(i -> topology.gateway.director().ringChoice(Topology.user(i)).orElseThrow().id()
                        .equals(backendId))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("no demo user is owned by " + backendId));
    }

    private List<String> loginLines(String backendId, int start, String user) throws IOException {
        return topology.backendLog(backendId).substring(start).lines()
                .filter(l -> l.contains("Login: user=<" + user + ">"))
                .toList();
    }

    // Dovecot's log process writes a moment after the login, so this waits for the line.
    private boolean awaitLogins(String backendId, int start, String user, int count) throws IOException {
        long deadline = System.nanoTime() + LOG_WAIT.toNanos();
        while (loginLines(backendId, start, user).size() < count) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
        return true;
    }

    private String webmailUrl() {
        return "http://" + WEBMAIL_ADDRESS + ":" + webmailPort + "/";
    }

    /**
     * Builds a private Roundcube install root of symlinks into Debian's files, the same layout as
     * {@code build_roundcube_root} in examples/seed-topology/start.sh, with every plugin that
     * Debian ships except mailpin.
     *
     * <p>Debian's own public_html/index.php resolves symlinks to set INSTALL_PATH, which would
     * point at /var/lib/roundcube, so the private public_html gets its own index.php.
     */
    private static void buildRoundcubeRoot(Path root) throws IOException {
        Files.createDirectories(root.resolve("plugins"));
        Files.createDirectories(root.resolve("public_html/program"));
        Files.createSymbolicLink(root.resolve("index.php"), ROUNDCUBE_SHARE.resolve("index.php"));
        Files.createSymbolicLink(root.resolve("program"), ROUNDCUBE_SHARE.resolve("program"));
        Files.createSymbolicLink(root.resolve("SQL"), ROUNDCUBE_SHARE.resolve("SQL"));
        Files.createSymbolicLink(root.resolve("skins"), ROUNDCUBE_SHARE.resolve("skins"));
        Files.createSymbolicLink(root.resolve("config"), Path.of("../config"));

        try (Stream<Path> plugins = Files.list(ROUNDCUBE_SHARE.resolve("plugins"))) {
            for (Path plugin : plugins.filter(Files::isDirectory).toList()) {
                String name = plugin.getFileName().toString();
                if (!name.equals("mailpin")) {
                    Files.createSymbolicLink(root.resolve("plugins").resolve(name), plugin);
                }
            }
        }

        Files.writeString(root.resolve("public_html/index.php"), """
                <?php
                // Entry point of a private Roundcube install root, written by RoundcubeViaImapProxyIT.
                // INSTALL_PATH is the folder above this one, where Roundcube finds program/, plugins/ and skins/.
                define('INSTALL_PATH', dirname(__DIR__) . '/');
                require INSTALL_PATH . 'index.php';
                """);
        Files.createSymbolicLink(root.resolve("public_html/plugins"), Path.of("../plugins"));
        Files.createSymbolicLink(root.resolve("public_html/skins"), Path.of("../skins"));
        Files.createSymbolicLink(root.resolve("public_html/program/js"), Path.of("../../program/js"));
        Files.createSymbolicLink(root.resolve("public_html/program/resources"), Path.of("../../program/resources"));
    }

    private void writeRoundcubeConfig(Path configDir, Path tempDir, Path database) throws Exception {
        Files.createDirectories(configDir);
        Files.createDirectories(tempDir);
        Files.createDirectories(webmailLogs);
        // Roundcube reads defaults.inc.php from the same folder as config.inc.php.
        Files.createSymbolicLink(configDir.resolve("defaults.inc.php"), ROUNDCUBE_DEFAULTS);
        if (Files.exists(ROUNDCUBE_MIMETYPES)) {
            Files.createSymbolicLink(configDir.resolve("mimetypes.php"), ROUNDCUBE_MIMETYPES);
        }

        // Roundcube 1.6's default cipher_method needs a des_key of 24 characters, here 18 random bytes in base64.
        byte[] keyBytes = new byte[18];
        new SecureRandom().nextBytes(keyBytes);
        String desKey = Base64.getEncoder().encodeToString(keyBytes);

        Path config = configDir.resolve("config.inc.php");
        Files.writeString(config, """
                <?php
                // Roundcube 1.6 configuration of rc3, written by RoundcubeViaImapProxyIT.
                $config = [];
                $config['db_dsnw'] = %s;
                $config['des_key'] = %s;

                // One constant host for every user: the gateway's IMAP listener, plain IMAP.
                // No plugin is loaded, and request_path and session_path keep their defaults
                // because browsers reach this instance directly at /.
                $config['imap_host'] = %s;
                $config['plugins'] = [];
                // This test sends no mail, so smtp_host keeps the value from defaults.inc.php.

                $config['log_driver'] = 'file';
                $config['log_dir'] = %s;
                $config['log_logins'] = true;
                $config['temp_dir'] = %s;
                $config['enable_installer'] = false;
                $config['skin'] = 'elastic';
                """.formatted(
                phpQuote("sqlite:///" + database + "?mode=0600"),
                phpQuote(desKey),
                phpQuote("127.0.0.1:" + imapPort),
                phpQuote(webmailLogs + "/"),
                phpQuote(tempDir + "/")));
        Topology.run(Duration.ofSeconds(30), "php", "-l", config.toString());
    }

    private static String phpQuote(String value) {
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    /**
     * Starts {@code php -S} for rc3 and returns once it serves Roundcube's login page.
     * PHP_CLI_SERVER_WORKERS makes the server fork worker processes, which
     * {@link #stopProcessTree} stops with it.
     */
    private Process startRoundcube(Path instance) throws Exception {
        Path phpLog = topology.state.resolve("logs/" + WEBMAIL_ID + "-php.log");
        ProcessBuilder builder = new ProcessBuilder("php",
                "-d", "log_errors=1", "-d", "display_errors=0",
                "-S", WEBMAIL_ADDRESS + ":" + webmailPort,
                "-t", instance.resolve("root/public_html").toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(phpLog.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        builder.environment().put("ROUNDCUBE_CONFIG_DIR", instance.resolve("config").toString());
        builder.environment().put("PHP_CLI_SERVER_WORKERS", "4");
        Process process = builder.start();

        long deadline = System.nanoTime() + START_WAIT.toNanos();
        while (!acceptsConnections(WEBMAIL_ADDRESS, webmailPort)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                stopProcessTree(process);
                throw new IllegalStateException("Roundcube " + WEBMAIL_ID + " did not accept connections on "
                        + WEBMAIL_ADDRESS + ":" + webmailPort + " within " + START_WAIT + "; php -S output:\n"
                        + Files.readString(phpLog));
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }

        HttpResponse<String> page = new WebmailClient(webmailUrl()).get("");
        if (!page.body().contains("name=\"_user\"")) {
            stopProcessTree(process);
            throw new IllegalStateException("GET " + webmailUrl() + " did not return Roundcube's login page (status "
                    + page.statusCode() + "); see " + webmailLogs.resolve("errors.log") + " and " + phpLog);
        }
        return process;
    }

    private static boolean acceptsConnections(String address, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address, port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    // Sends SIGTERM to the server and its workers, then SIGKILL to any that outlive STOP_WAIT.
    private static void stopProcessTree(Process process) {
        List<ProcessHandle> tree = Stream.concat(Stream.of(process.toHandle()), process.descendants()).toList();
        tree.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + STOP_WAIT.toNanos();
        for (ProcessHandle handle : tree) {
            while (handle.isAlive() && System.nanoTime() < deadline) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
            }
            if (handle.isAlive()) {
                handle.destroyForcibly();
            }
        }
    }
}
