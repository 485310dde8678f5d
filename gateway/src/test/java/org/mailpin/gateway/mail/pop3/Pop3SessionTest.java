package org.mailpin.gateway.mail.pop3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mailpin.gateway.mail.LineClient;
import org.mailpin.gateway.mail.MailLogCapture;
import org.mailpin.gateway.mail.MailProxyHarness;
import org.mailpin.gateway.mail.Protocol;
import org.mailpin.gateway.mail.ScriptedBackend;
import org.mailpin.gateway.metrics.Samples;

/** The POP3 session against a scripted backend on loopback. */
class Pop3SessionTest {

    private static final String USER = "user01@example.test";
    private static final String PASSWORD = "secret01";

    @TempDir
    Path folder;

    private MailProxyHarness harness;
    private ScriptedBackend backend;

    @AfterEach
    void stop() throws Exception {
        if (harness != null) {
            harness.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    private LineClient start(UnaryOperator<MailProxyHarness.Builder> settings) throws Exception {
        return start(Protocol.POP3, settings);
    }

    private LineClient start(Protocol protocol, UnaryOperator<MailProxyHarness.Builder> settings) throws Exception {
        harness = settings.apply(MailProxyHarness.builder(protocol, Pop3Session::register)).start();
        LineClient client = harness.connect();
        assertEquals(Pop3Session.GREETING, client.readLine());
        return client;
    }

    private LineClient startWithBackend(ScriptedBackend.Conversation conversation,
                                        UnaryOperator<MailProxyHarness.Builder> settings) throws Exception {
        backend = new ScriptedBackend(conversation);
        LineClient client = start(settings);
        harness.director.useBackend(backend.port());
        return client;
    }

    /**
     * A POP3 backend like Dovecot's pop3-login from a trusted network: it accepts XCLIENT, USER and
     * PASS, and AUTH PLAIN, and after a login replies to every line with "+OK echo LINE".
     */
    static ScriptedBackend.Conversation dovecotLike(String greeting) {
        return peer -> {
            peer.send(greeting);
            String line;
            while ((line = peer.readLine()) != null) {
                if (line.startsWith("XCLIENT ")) {
                    peer.send("+OK Updated");
                } else if (line.startsWith("USER ")) {
                    peer.send("+OK");
                } else if (line.equals("PASS " + PASSWORD) || line.startsWith("AUTH PLAIN ")
                        && plain(line.substring("AUTH PLAIN ".length())).endsWith("\0" + PASSWORD)) {
                    peer.send("+OK Logged in.");
                    peer.echoLines("+OK echo ");
                    return;
                } else {
                    peer.send("-ERR [AUTH] Authentication failed.");
                }
            }
        };
    }

    static String plain(String base64) {
        return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
    }

    static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    /** A client conversation before login: lines sent, then the replies expected in order. */
    record Exchange(String name, List<String> sent, List<String> expected) {

        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Exchange> preloginExchanges() {
        return Stream.of(
                new Exchange("unknown command", List.of("NOOP"), List.of("-ERR Unknown command.")),
                new Exchange("lowercase command", List.of("capa"),
                        List.of("+OK Capability list follows", "USER", "SASL PLAIN", "RESP-CODES", "AUTH-RESP-CODE", ".")),
                new Exchange("PASS before USER", List.of("PASS x"),
                        List.of("-ERR No user name given; send USER first.")),
                new Exchange("USER without name", List.of("USER"), List.of("-ERR Missing user name.")),
                new Exchange("AUTH lists mechanisms", List.of("AUTH"), List.of("+OK", "PLAIN", ".")),
                new Exchange("AUTH with unknown mechanism", List.of("AUTH CRAM-MD5"),
                        List.of("-ERR Unsupported authentication mechanism.")),
                new Exchange("AUTH PLAIN with extra argument", List.of("AUTH PLAIN a b"),
                        List.of("-ERR Invalid AUTH arguments; expected AUTH PLAIN [initial-response].")),
                new Exchange("AUTH PLAIN with bad base64", List.of("AUTH PLAIN %%%"),
                        List.of("-ERR [AUTH] Invalid base64 in the SASL response.")),
                new Exchange("AUTH PLAIN with empty response", List.of("AUTH PLAIN ="),
                        List.of("-ERR [AUTH] Invalid PLAIN message: expected authorization id, login name and "
                                + "password separated by two NULs.")),
                new Exchange("AUTH PLAIN with one NUL", List.of("AUTH PLAIN " + base64(USER + "\0" + PASSWORD)),
                        List.of("-ERR [AUTH] Invalid PLAIN message: expected authorization id, login name and "
                                + "password separated by two NULs.")),
                new Exchange("AUTH PLAIN with LF in password", List.of("AUTH PLAIN " + base64("\0" + USER + "\0a\nb")),
                        List.of("-ERR [AUTH] CR, LF and NUL are not allowed in a password.")),
                new Exchange("AUTH PLAIN with CR in user", List.of("AUTH PLAIN " + base64("\0user\r01\0" + PASSWORD)),
                        List.of("-ERR [AUTH] CR, LF and NUL are not allowed in a user name.")),
                new Exchange("AUTH PLAIN with empty password", List.of("AUTH PLAIN " + base64("\0" + USER + "\0")),
                        List.of("-ERR [AUTH] Missing password.")),
                new Exchange("AUTH PLAIN cancelled", List.of("AUTH PLAIN", "*"),
                        List.of("+ ", "-ERR Authentication aborted.")),
                new Exchange("PASS with NUL", List.of("USER " + USER, "PASS a\0b"),
                        List.of("+OK", "-ERR [AUTH] CR, LF and NUL are not allowed in a password.")),
                new Exchange("user name with control character", List.of("USER user\u000101", "PASS x"),
                        List.of("+OK", "-ERR [AUTH] Invalid user name.")),
                new Exchange("STLS without TLS", List.of("STLS"), List.of("-ERR STLS is not available.")),
                new Exchange("QUIT", List.of("QUIT"), List.of("+OK Logging out.")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("preloginExchanges")
    void preloginExchange(Exchange exchange) throws Exception {
        try (LineClient client = start(b -> b)) {
            for (String line : exchange.sent()) {
                client.writeLine(line);
            }

            assertEquals(exchange.expected(), client.readLines(exchange.expected().size()));
        }
    }

    @Test
    void capaOffersStlsWhenTlsConfigured() throws Exception {
        try (LineClient client = start(b -> b.tls(folder))) {
            client.writeLine("CAPA");

            assertTrue(client.readThrough(".").contains("STLS"));
        }
    }

    @Test
    void capaHidesLoginsWhenTlsRequired() throws Exception {
        try (LineClient client = start(b -> b.tls(folder).requireTls())) {
            client.writeLine("CAPA");

            assertEquals(List.of("+OK Capability list follows", "STLS", "RESP-CODES", "AUTH-RESP-CODE", "."),
                    client.readThrough("."));
        }
    }

    @Test
    void userRejectedWhenTlsRequired() throws Exception {
        try (LineClient client = start(b -> b.tls(folder).requireTls())) {
            client.writeLine("USER " + USER);

            assertEquals(Pop3Session.PLAINTEXT_DISALLOWED, client.readLine());
        }
    }

    @Test
    void stlsDropsPipelinedCommand() throws Exception {
        try (MailLogCapture log = new MailLogCapture(); LineClient client = start(b -> b.tls(folder))) {
            client.write("STLS\r\nCAPA\r\n");
            assertEquals("+OK Begin TLS negotiation now.", client.readLine());
            client.startTls(harness.clientTls());
            client.writeLine("QUIT");

            assertEquals("+OK Logging out.", client.readLine());
            assertTrue(log.text().contains("dropped 6 bytes"), log.text());
        }
    }

    @Test
    void capaAfterStlsHasNoStls() throws Exception {
        try (LineClient client = start(b -> b.tls(folder))) {
            client.writeLine("STLS");
            client.readLine();
            client.startTls(harness.clientTls());
            client.writeLine("CAPA");

            assertFalse(client.readThrough(".").contains("STLS"));
        }
    }

    @Test
    void pop3sGreetsOverTls() throws Exception {
        try (LineClient client = start(Protocol.POP3S, b -> b.tls(folder))) {
            client.writeLine("CAPA");

            assertFalse(client.readThrough(".").contains("STLS"));
        }
    }

    @Test
    void userPassLogsInAndRelays() throws Exception {
        try (LineClient client = startWithBackend(dovecotLike("+OK [XCLIENT] Dovecot ready."), b -> b)) {
            client.writeLine("USER User01");
            client.writeLine("PASS " + PASSWORD);
            assertEquals(List.of("+OK", "+OK Logged in."), client.readLines(2));
            client.writeLine("STAT");

            assertEquals("+OK echo STAT", client.readLine());
            List<String> received = backend.received;
            assertTrue(received.get(0).matches("XCLIENT ADDR=127\\.0\\.0\\.1 PORT=" + client.localPort()
                    + " SESSION=pop3-[0-9a-z]+ TTL=4"), received.get(0));
            assertEquals(List.of("USER " + USER, "PASS " + PASSWORD, "STAT"), received.subList(1, received.size()));
        }
    }

    @Test
    void loginRegistersLiveConnection() throws Exception {
        try (LineClient client = startWithBackend(dovecotLike("+OK [XCLIENT] Dovecot ready."), b -> b)) {
            client.writeLine("USER " + USER);
            client.writeLine("PASS " + PASSWORD);
            client.readLines(2);
            client.writeLine("STAT");
            client.readLine();

            assertEquals(1, harness.context.live().forUser(USER).size());
        }
    }

    @Test
    void kickClosesRelayedConnection() throws Exception {
        try (LineClient client = startWithBackend(dovecotLike("+OK [XCLIENT] Dovecot ready."), b -> b)) {
            client.writeLine("USER " + USER);
            client.writeLine("PASS " + PASSWORD);
            client.readLines(2);
            client.writeLine("STAT");
            client.readLine();
            harness.context.live().kick(USER);

            assertNull(client.readLine());
        }
    }

    @Test
    void stopClosesRelayedConnection() throws Exception {
        try (LineClient client = startWithBackend(dovecotLike("+OK [XCLIENT] Dovecot ready."), b -> b)) {
            client.writeLine("USER " + USER);
            client.writeLine("PASS " + PASSWORD);
            client.readLines(2);
            client.writeLine("STAT");
            client.readLine();
            harness.close();

            assertNull(client.readLine());
        }
    }

    @Test
    void stopClosesWaitingClient() throws Exception {
        try (LineClient client = start(b -> b)) {
            harness.close();

            assertNull(client.readLine());
        }
    }

    @Test
    void authPlainContinuationLogsIn() throws Exception {
        try (LineClient client = startWithBackend(dovecotLike("+OK [XCLIENT] Dovecot ready."), b -> b)) {
            client.writeLine("AUTH PLAIN");
            assertEquals("+ ", client.readLine());
            client.writeLine(base64("\0User01\0" + PASSWORD));

            assertEquals("+OK Logged in.", client.readLine());
            assertEquals("AUTH PLAIN " + base64("\0" + USER + "\0" + PASSWORD), backend.received.get(1));
        }
    }

    @Test
    void authPlainKeepsAuthorizationIdentity() throws Exception {
        try (LineClient client = startWithBackend(dovecotLike("+OK [XCLIENT] Dovecot ready."), b -> b)) {
            client.writeLine("AUTH PLAIN " + base64("user01\0admin\0" + PASSWORD));

            assertEquals("+OK Logged in.", client.readLine());
            assertEquals("AUTH PLAIN " + base64(USER + "\0admin\0" + PASSWORD), backend.received.get(1));
        }
    }

    @Test
    void masterUserIgnored() throws Exception {
        try (MailLogCapture log = new MailLogCapture();
             LineClient client = startWithBackend(dovecotLike("+OK [XCLIENT] Dovecot ready."),
                     b -> b.masterUser("proxy", "master-secret"))) {
            client.writeLine("USER " + USER);
            client.writeLine("PASS " + PASSWORD);

            assertEquals(List.of("+OK", "+OK Logged in."), client.readLines(2));
            assertEquals("PASS " + PASSWORD, backend.received.get(2));
            assertTrue(log.text().contains("mail.master-user is ignored for POP3"), log.text());
        }
    }

    @Test
    void backendWithoutXclientGetsNoXclient() throws Exception {
        try (LineClient client = startWithBackend(dovecotLike("+OK Dovecot ready."), b -> b)) {
            client.writeLine("USER " + USER);
            client.writeLine("PASS " + PASSWORD);

            assertEquals(List.of("+OK", "+OK Logged in."), client.readLines(2));
            assertEquals("USER " + USER, backend.received.get(0));
        }
    }

    @Test
    void backendRejectionRelayedVerbatim() throws Exception {
        try (LineClient client = startWithBackend(dovecotLike("+OK [XCLIENT] Dovecot ready."), b -> b)) {
            client.writeLine("USER " + USER);
            client.writeLine("PASS wrong");
            client.writeLine("QUIT");

            assertEquals(List.of("+OK", "-ERR [AUTH] Authentication failed.", "+OK Logging out."),
                    client.readLines(3));
        }
    }

    @Test
    void backendTemporaryFailureRelayedVerbatim() throws Exception {
        ScriptedBackend.Conversation busy = peer -> {
            peer.send("+OK Dovecot ready.");
            peer.readLine();
            peer.send("-ERR [SYS/TEMP] Too many connections.");
        };
        try (LineClient client = startWithBackend(busy, b -> b)) {
            client.writeLine("AUTH PLAIN " + base64("\0" + USER + "\0" + PASSWORD));

            assertEquals("-ERR [SYS/TEMP] Too many connections.", client.readLine());
        }
    }

    @Test
    void noBackendIsTemporaryFailure() throws Exception {
        try (LineClient client = start(b -> b)) {
            client.writeLine("USER " + USER);
            client.writeLine("PASS " + PASSWORD);

            assertEquals(List.of("+OK", Pop3Session.TEMPORARY_FAILURE), client.readLines(2));
        }
    }

    @Test
    void refusedBackendIsTemporaryFailure() throws Exception {
        try (LineClient client = start(b -> b)) {
            harness.director.useBackend(ScriptedBackend.closedPort());
            client.writeLine("AUTH PLAIN " + base64("\0" + USER + "\0" + PASSWORD));

            assertEquals(Pop3Session.TEMPORARY_FAILURE, client.readLine());
        }
    }

    @Test
    void brokenBackendGreetingIsTemporaryFailure() throws Exception {
        try (LineClient client = startWithBackend(peer -> peer.send("* OK IMAP, not POP3"), b -> b)) {
            client.writeLine("AUTH PLAIN " + base64("\0" + USER + "\0" + PASSWORD));

            assertEquals(Pop3Session.TEMPORARY_FAILURE, client.readLine());
        }
    }

    @Test
    void tooManyBadCommandsCloses() throws Exception {
        try (LineClient client = start(b -> b.maxBadCommands(2))) {
            client.write("X1\r\nX2\r\nX3\r\nX4\r\n");

            assertEquals(Arrays.asList("-ERR Unknown command.", "-ERR Unknown command.", "-ERR Unknown command.",
                    "-ERR Too many bad commands.", null), client.readLines(5));
        }
    }

    @Test
    void failedLoginsCountAsBadCommands() throws Exception {
        try (LineClient client = startWithBackend(dovecotLike("+OK [XCLIENT] Dovecot ready."), b -> b.maxBadCommands(1))) {
            client.write("USER " + USER + "\r\nPASS wrong1\r\nUSER " + USER + "\r\nPASS wrong2\r\n");

            assertEquals(Arrays.asList("+OK", "-ERR [AUTH] Authentication failed.", "+OK",
                    "-ERR [AUTH] Authentication failed.", "-ERR Too many bad commands.", null), client.readLines(6));
        }
    }

    @Test
    void longLineCloses() throws Exception {
        try (LineClient client = start(b -> b.maxLine(1024))) {
            client.writeLine("USER " + "x".repeat(2000));

            assertEquals(Arrays.asList("-ERR Line too long.", null), client.readLines(2));
        }
    }

    @Test
    void bareLineFeedCloses() throws Exception {
        try (LineClient client = start(b -> b)) {
            client.write("CAPA\nQUIT\r\n");

            assertEquals(Arrays.asList("-ERR Invalid line: bare LF in a command line; lines must end with CRLF.", null),
                    client.readLines(2));
        }
    }

    @Test
    void preloginTimeoutCloses() throws Exception {
        try (LineClient client = start(b -> b.preloginTimeout(Duration.ofMillis(300)))) {
            assertEquals(Arrays.asList("-ERR Disconnected for inactivity.", null), client.readLines(2));
        }
    }

    private double logins(String result) {
        return Samples.parse(harness.context.metrics().scrape())
                .require("mailpin_logins_total{protocol=\"pop3\",result=\"" + result + "\"}");
    }

    @Test
    void loginOutcomesCounted() throws Exception {
        try (LineClient client = startWithBackend(dovecotLike("+OK [XCLIENT] Dovecot ready."), b -> b)) {
            client.writeLine("AUTH PLAIN not-base64");
            client.writeLine("USER " + USER);
            client.writeLine("PASS wrong");
            client.writeLine("USER " + USER);
            client.writeLine("PASS " + PASSWORD);
            client.readLines(5);
            client.writeLine("STAT");
            client.readLine();

            assertEquals(1.0, logins("rejected"));
            assertEquals(1.0, logins("auth_failed"));
            assertEquals(1.0, logins("ok"));
            assertEquals(0.0, logins("backend_unavailable"));
        }
    }

    @Test
    void relayedBytesCounted() throws Exception {
        try (LineClient client = startWithBackend(dovecotLike("+OK [XCLIENT] Dovecot ready."), b -> b)) {
            client.writeLine("USER " + USER);
            client.writeLine("PASS " + PASSWORD);
            client.readLines(2);
            client.writeLine("STAT");
            client.readLine();

            String up = "mailpin_proxy_bytes_total{direction=\"client_to_backend\",protocol=\"pop3\"}";
            String down = "mailpin_proxy_bytes_total{direction=\"backend_to_client\",protocol=\"pop3\"}";
            assertEquals(6.0, Samples.await(harness.context.metrics()::scrape, up, v -> v == 6.0, Duration.ofSeconds(5)));
            assertEquals(15.0, Samples.await(harness.context.metrics()::scrape, down, v -> v == 15.0,
                    Duration.ofSeconds(5)));
        }
    }

    @Test
    void unavailableLoginsCounted() throws Exception {
        try (LineClient client = start(b -> b)) {
            client.writeLine("USER " + USER);
            client.writeLine("PASS " + PASSWORD);
            client.readLines(2);
            harness.director.useBackend(ScriptedBackend.closedPort());
            client.writeLine("USER " + USER);
            client.writeLine("PASS " + PASSWORD);
            client.readLines(2);

            assertEquals(1.0, logins("no_backend"));
            assertEquals(1.0, logins("backend_unavailable"));
        }
    }

    @Test
    void secretsNeverLogged() throws Exception {
        try (MailLogCapture log = new MailLogCapture();
             LineClient client = startWithBackend(dovecotLike("+OK [XCLIENT] Dovecot ready."), b -> b)) {
            client.writeLine("AUTH PLAIN " + base64("\0" + USER + "\0wrong-password"));
            client.readLine();
            client.writeLine("USER " + USER);
            client.writeLine("PASS " + PASSWORD);
            client.readLines(2);
            client.writeLine("STAT");
            client.readLine();

            List<String> secrets = new ArrayList<>(List.of("wrong-password", PASSWORD,
                    base64("\0" + USER + "\0wrong-password")));
            for (String secret : secrets) {
                assertFalse(log.text().contains(secret), "log contains " + secret + ":\n" + log.text());
            }
            assertTrue(log.text().contains("pop3 login of " + USER + " from 127.0.0.1 proxied to backend be1"),
                    log.text());
        }
    }
}
