package org.mailpin.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.mailpin.gateway.mail.LiveConnections;
import org.mailpin.gateway.mail.imap.ImapTestClient;
import org.mailpin.gateway.mail.imap.TestCertificates;

import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Store;

/**
 * The IMAP proxy in front of two real Dovecot backends: Jakarta Mail and raw sockets log in
 * through the gateway's listeners, and the backends' logs show where each login landed and
 * which client address the proxy forwarded.
 *
 * <p>The "laptop" and the "phone" are two IMAP listeners of one gateway; the Jakarta Mail
 * clients connect from 127.0.0.77, so a backend that logs {@code rip=127.0.0.77} got the
 * address from the proxy's ID command, since the proxy itself connects from 127.0.0.1.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ImapProxyIT {

    private static final String CLIENT_ADDRESS = "127.0.0.77";
    private static final Duration LOG_WAIT = Duration.ofSeconds(15);

    Path tlsFolder;
    TestCertificates certificates;
    Topology topology;
    int laptopPort;
    int phonePort;
    int imapsPort;

    @BeforeAll
    void startTopology() throws Exception {
        tlsFolder = Files.createTempDirectory("mailpin-it-imap-tls-");
        certificates = TestCertificates.create(tlsFolder);
        laptopPort = Topology.freePort();
        phonePort = Topology.freePort();
        imapsPort = Topology.freePort();
        topology = Topology.start("separate", """
                mail:
                  listeners:
                    - protocol: imap
                      listen: 127.0.0.1:%d
                    - protocol: imap
                      listen: 127.0.0.1:%d
                    - protocol: imaps
                      listen: 127.0.0.1:%d
                  tls:
                    cert-file: %s
                    key-file: %s
                """.formatted(laptopPort, phonePort, imapsPort, certificates.certFile(), certificates.keyFile()));
    }

    @AfterAll
    void stopTopology() throws Exception {
        try {
            if (topology != null) {
                topology.close();
            }
        } finally {
            if (tlsFolder != null) {
                try (Stream<Path> files = Files.list(tlsFolder)) {
                    for (Path file : files.toList()) {
                        Files.delete(file);
                    }
                }
                Files.delete(tlsFolder);
            }
        }
    }

    private String backendOf(String user) {
        return topology.gateway.director().find(user).orElseThrow().backendId();
    }

    private static String addressOf(String backendId) {
        return backendId.equals("be1") ? "127.0.0.11" : "127.0.0.12";
    }

    private static String other(String backendId) {
        return backendId.equals("be1") ? "be2" : "be1";
    }

    // Dovecot's log process writes a moment after the login, so this waits for the line.
    private boolean awaitLogLine(String backendId, Predicate<String> line) throws Exception {
        long deadline = System.nanoTime() + LOG_WAIT.toNanos();
        while (true) {
            if (topology.backendLog(backendId).lines().anyMatch(line)) {
                return true;
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
    }

    private boolean awaitLoginCount(String backendId, String user, int count) throws Exception {
        long deadline = System.nanoTime() + LOG_WAIT.toNanos();
        while (topology.backendLog(backendId).lines().filter(loginOf(user)).count() < count) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
        return true;
    }

    private static Predicate<String> loginOf(String user) {
        return line -> line.contains("Login: user=<" + user + ">");
    }

    private Store jakartaStore(String protocol, int port, String user, int index) throws Exception {
        Properties properties = new Properties();
        properties.put("mail." + protocol + ".localaddress", CLIENT_ADDRESS);
        properties.put("mail." + protocol + ".connectiontimeout", "10000");
        properties.put("mail." + protocol + ".timeout", "30000");
        if (protocol.equals("imaps")) {
            properties.put("mail.imaps.ssl.socketFactory", certificates.clientContext().getSocketFactory());
            properties.put("mail.imaps.ssl.checkserveridentity", "true");
        }
        Store store = Session.getInstance(properties).getStore(protocol);
        store.connect("127.0.0.1", port, user, Topology.password(index));
        return store;
    }

    // Opens INBOX, fetches the first message's subject and returns it; every INBOX has a welcome message.
    private static String firstSubject(Store store) throws Exception {
        Folder inbox = store.getFolder("INBOX");
        inbox.open(Folder.READ_ONLY);
        try {
            Message first = inbox.getMessage(1);
            return first.getSubject();
        } finally {
            inbox.close(false);
        }
    }

    @Test
    void jakartaMailFetchesInboxOnBothBackends() throws Exception {
        Set<String> backends = new HashSet<>();
        for (int i = 1; i <= 8; i++) {
            String user = Topology.user(i);
            try (Store store = jakartaStore("imap", laptopPort, user, i)) {
                assertFalse(firstSubject(store).isBlank(), user + ": empty subject of message 1");
            }
            String backend = backendOf(user);
            backends.add(backend);

            assertTrue(awaitLogLine(backend, loginOf(user).and(l -> l.contains("rip=" + CLIENT_ADDRESS + ",")
                            && l.contains("real_lip=" + addressOf(backend)) && l.contains("session=<imap-"))),
                    user + ": no login with rip=" + CLIENT_ADDRESS + " in " + backend + ".log");
            assertFalse(topology.backendLog(other(backend)).lines().anyMatch(loginOf(user)),
                    user + ": a login on " + other(backend) + " too");
        }

        assertEquals(Set.of("be1", "be2"), backends);
    }

    @Test
    void jakartaMailOverImaps() throws Exception {
        String user = Topology.user(15);
        try (Store store = jakartaStore("imaps", imapsPort, user, 15)) {
            assertFalse(firstSubject(store).isBlank());
        }
    }

    static Stream<Arguments> fieldCases() {
        String user09 = Topology.user(9);
        String user10 = Topology.user(10);
        String user11 = Topology.user(11);
        String initial11 = Base64.getEncoder().encodeToString(("\0" + user11 + "\0" + Topology.password(11))
                .getBytes(StandardCharsets.UTF_8));
        String user12 = Topology.user(12);
        String initial12 = Base64.getEncoder().encodeToString(("\0" + user12 + "\0" + Topology.password(12))
                .getBytes(StandardCharsets.UTF_8));
        return Stream.of(
                Arguments.of("LOGIN with synchronizing literals",
                        List.of("a1 LOGIN {" + user09.length() + "}\r\n", user09 + " {8}\r\n", "secret09\r\n"), "a1"),
                Arguments.of("ID with a literal, then LOGIN",
                        List.of("a0 ID (\"name\" {7}\r\n", "Outlook)\r\na1 LOGIN " + user10 + " secret10\r\n"), "a1"),
                Arguments.of("AUTHENTICATE PLAIN with continuation",
                        List.of("a1 AUTHENTICATE PLAIN\r\n", initial11 + "\r\n"), "a1"),
                Arguments.of("AUTHENTICATE PLAIN with SASL-IR", List.of("a1 AUTHENTICATE PLAIN " + initial12 + "\r\n"),
                        "a1"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fieldCases")
    void fieldCaseLogsIn(String name, List<String> steps, String loginTag) throws Exception {
        try (ImapTestClient client = ImapTestClient.connect("127.0.0.1", laptopPort)) {
            client.readLine();
            for (int i = 0; i < steps.size(); i++) {
                if (i > 0) {
                    String continuation = client.readLine();
                    assertTrue(continuation.startsWith("+"), "expected a continuation request, got " + continuation);
                }
                client.send(steps.get(i));
            }

            assertTrue(client.tagged(loginTag).startsWith(loginTag + " OK [CAPABILITY IMAP4rev1 "));
            assertTrue(client.command("s", "SELECT INBOX").startsWith("s OK "));
            assertTrue(client.command("f", "FETCH 1 (FLAGS)").startsWith("f OK "));
        }
    }

    @Test
    void authenticateCancelled() throws Exception {
        try (ImapTestClient client = ImapTestClient.connect("127.0.0.1", laptopPort)) {
            client.readLine();
            client.send("a1 AUTHENTICATE PLAIN\r\n");
            client.readLine();
            client.send("*\r\n");

            assertEquals("a1 BAD Authentication aborted by client.", client.tagged("a1"));
            assertEquals("a2 OK NOOP completed.", client.command("a2", "NOOP"));
        }
    }

    @Test
    void starttlsDropsPipelinedNoop() throws Exception {
        try (ImapTestClient client = ImapTestClient.connect("127.0.0.1", laptopPort)) {
            client.readLine();
            client.send("a1 STARTTLS\r\na2 NOOP\r\n");
            assertEquals("a1 OK Begin TLS negotiation now.", client.readLine());
            client.startTls(certificates.clientContext());

            client.send("a3 CAPABILITY\r\n");

            assertEquals("* CAPABILITY IMAP4rev1 SASL-IR LITERAL+ ID AUTH=PLAIN", client.readLine());
            assertEquals("a3 OK Pre-login capabilities listed, post-login capabilities have more.", client.readLine());
            assertTrue(client.command("a4", "LOGIN " + Topology.user(16) + " " + Topology.password(16))
                    .startsWith("a4 OK [CAPABILITY IMAP4rev1 "));
        }
    }

    @Test
    void wrongPasswordRelaysAuthenticationFailed() throws Exception {
        try (ImapTestClient client = ImapTestClient.connect("127.0.0.1", phonePort)) {
            client.readLine();

            assertEquals("a1 NO [AUTHENTICATIONFAILED] Authentication failed.",
                    client.command("a1", "LOGIN " + Topology.user(14) + " wrong-password"));
            assertEquals("a2 OK NOOP completed.", client.command("a2", "NOOP"));
        }
    }

    @Test
    void laptopPhoneAndWebmailShareBackend() throws Exception {
        int index = 13;
        String user = Topology.user(index);
        try (Store laptop = jakartaStore("imap", laptopPort, user, index);
             ImapTestClient phone = ImapTestClient.connect("127.0.0.1", phonePort)) {
            assertFalse(firstSubject(laptop).isBlank());
            phone.readLine();
            assertTrue(phone.command("p1", "LOGIN " + user + " " + Topology.password(index)).startsWith("p1 OK "));
            assertTrue(phone.command("p2", "SELECT INBOX").startsWith("p2 OK "));

            WebmailClient browser = new WebmailClient(topology.baseUrl());
            HttpResponse<String> login = browser.login(user, Topology.password(index));
            HttpResponse<String> list = browser.inboxList();

            String backend = backendOf(user);
            List<LiveConnections.Entry> live = topology.gateway.mail().live().forUser(user);
            assertEquals(302, login.statusCode(), "webmail login: " + login.body());
            assertTrue(list.body().contains("add_message_row"), "webmail INBOX list: " + list.body());
            assertEquals(List.of(backend), live.stream().map(LiveConnections.Entry::backendId).distinct().toList());
            assertTrue(live.size() >= 2, "live connections of " + user + ": " + live);
            assertTrue(awaitLoginCount(backend, user, 3), "three logins of " + user + " in " + backend + ".log");
            assertFalse(topology.backendLog(other(backend)).lines().anyMatch(loginOf(user)),
                    user + ": a login on " + other(backend));
        }
    }
}
