package org.mailpin.gateway.mail.submission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
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

/** The Submission session against a scripted backend on loopback. */
class SubmissionSessionTest {

    private static final String USER = "user01@example.test";
    private static final String PASSWORD = "secret01";
    private static final String GREETING = "220 mailpin.test Mailpin ready.";
    private static final List<String> DOVECOT_EXTENSIONS = List.of("8BITMIME", "AUTH PLAIN LOGIN",
            "ENHANCEDSTATUSCODES", "PIPELINING", "XCLIENT ADDR PORT PROTO HELO LOGIN SESSION TTL TIMEOUT FORWARD");

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
        return start(Protocol.SUBMISSION, settings);
    }

    private LineClient start(Protocol protocol, UnaryOperator<MailProxyHarness.Builder> settings) throws Exception {
        harness = settings.apply(MailProxyHarness.builder(protocol, SubmissionSession::register)).start();
        LineClient client = harness.connect();
        assertEquals(GREETING, client.readLine());
        return client;
    }

    /** Starts with a backend and sends EHLO client.example. */
    private LineClient startWithBackend(ScriptedBackend.Conversation conversation,
                                        UnaryOperator<MailProxyHarness.Builder> settings) throws Exception {
        backend = new ScriptedBackend(conversation);
        LineClient client = start(settings);
        harness.director.useBackend(backend.port());
        client.writeLine("EHLO client.example");
        client.readThrough("250 ");
        return client;
    }

    /**
     * A backend like Dovecot's submission-login from a trusted network: EHLO lists the extensions,
     * XCLIENT gets a new greeting, AUTH PLAIN works with or without initial response, and after a
     * login every line gets "250 echo LINE".
     */
    static ScriptedBackend.Conversation dovecotLike(List<String> extensions) {
        return peer -> {
            peer.send("220 backend Dovecot ready.");
            String line;
            while ((line = peer.readLine()) != null) {
                if (line.startsWith("EHLO ")) {
                    peer.send("250-backend");
                    for (int i = 0; i < extensions.size(); i++) {
                        peer.send((i == extensions.size() - 1 ? "250 " : "250-") + extensions.get(i));
                    }
                } else if (line.startsWith("XCLIENT ")) {
                    peer.send("220 backend Dovecot ready.");
                } else if (line.startsWith("AUTH PLAIN")) {
                    String response = line.length() > "AUTH PLAIN ".length() ? line.substring(11) : null;
                    if (response == null) {
                        peer.send("334 ");
                        response = peer.readLine();
                    }
                    if (plain(response).endsWith(PASSWORD)) {
                        peer.send("235 2.7.0 Logged in.");
                        peer.echoLines("250 echo ");
                        return;
                    }
                    peer.send("535 5.7.8 Authentication failed.");
                } else {
                    peer.send("500 5.5.1 Unknown command");
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

    @Test
    void ehloListsExtensions() throws Exception {
        try (LineClient client = start(b -> b)) {
            client.writeLine("EHLO client.example");

            assertEquals(List.of("250-mailpin.test", "250-AUTH PLAIN LOGIN", "250 ENHANCEDSTATUSCODES"),
                    client.readThrough("250 "));
        }
    }

    @Test
    void ehloOffersStartTls() throws Exception {
        try (LineClient client = start(b -> b.tls(folder))) {
            client.writeLine("EHLO client.example");

            assertTrue(client.readThrough("250 ").contains("250-STARTTLS"));
        }
    }

    @Test
    void ehloHidesAuthWhenTlsRequired() throws Exception {
        try (LineClient client = start(b -> b.tls(folder).requireTls())) {
            client.writeLine("EHLO client.example");

            assertEquals(List.of("250-mailpin.test", "250-STARTTLS", "250 ENHANCEDSTATUSCODES"),
                    client.readThrough("250 "));
        }
    }

    @Test
    void authRejectedWhenTlsRequired() throws Exception {
        try (LineClient client = start(b -> b.tls(folder).requireTls())) {
            client.writeLine("EHLO client.example");
            client.readThrough("250 ");
            client.writeLine("AUTH PLAIN " + base64("\0" + USER + "\0" + PASSWORD));

            assertEquals(SubmissionSession.ENCRYPTION_REQUIRED, client.readLine());
        }
    }

    /** A client conversation before login: what it sends, then the replies expected. */
    record Exchange(String name, String sent, List<String> expected) {

        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Exchange> preloginExchanges() {
        return Stream.of(
                new Exchange("AUTH before EHLO", "AUTH PLAIN\r\n", List.of("503 5.5.1 Send EHLO first.")),
                new Exchange("AUTH after HELO", "HELO client.example\r\nAUTH PLAIN\r\n",
                        List.of("250 mailpin.test", "503 5.5.1 Send EHLO first.")),
                new Exchange("EHLO without domain", "EHLO\r\n", List.of("501 5.5.4 Missing domain name.")),
                new Exchange("EHLO with two names", "EHLO a b\r\n",
                        List.of("501 5.5.4 Invalid domain name: expected one name in printable ASCII.")),
                new Exchange("lowercase EHLO", "ehlo client.example\r\n",
                        List.of("250-mailpin.test", "250-AUTH PLAIN LOGIN", "250 ENHANCEDSTATUSCODES")),
                new Exchange("MAIL before AUTH", "MAIL FROM:<a@example.test>\r\n",
                        List.of("530 5.7.0 Authentication required.")),
                new Exchange("unknown command", "VRFY postmaster\r\n", List.of("500 5.5.1 Unknown command.")),
                new Exchange("NOOP and RSET", "NOOP\r\nRSET\r\n", List.of("250 2.0.0 OK", "250 2.0.0 OK")),
                new Exchange("unsupported mechanism", "EHLO c\r\nAUTH CRAM-MD5\r\n",
                        List.of("250-mailpin.test", "250-AUTH PLAIN LOGIN", "250 ENHANCEDSTATUSCODES",
                                "504 5.5.4 Unsupported authentication mechanism.")),
                new Exchange("AUTH PLAIN with bad base64", "EHLO c\r\nAUTH PLAIN %%%\r\n",
                        List.of("250-mailpin.test", "250-AUTH PLAIN LOGIN", "250 ENHANCEDSTATUSCODES",
                                "501 5.5.2 Invalid base64 in the SASL response.")),
                new Exchange("AUTH PLAIN cancelled", "EHLO c\r\nAUTH PLAIN\r\n*\r\n",
                        List.of("250-mailpin.test", "250-AUTH PLAIN LOGIN", "250 ENHANCEDSTATUSCODES", "334 ",
                                "501 5.7.0 Authentication aborted.")),
                new Exchange("AUTH LOGIN cancelled at password", "EHLO c\r\nAUTH LOGIN\r\n" + base64(USER) + "\r\n*\r\n",
                        List.of("250-mailpin.test", "250-AUTH PLAIN LOGIN", "250 ENHANCEDSTATUSCODES",
                                SubmissionSession.LOGIN_USER_PROMPT, SubmissionSession.LOGIN_PASSWORD_PROMPT,
                                "501 5.7.0 Authentication aborted.")),
                new Exchange("AUTH LOGIN with LF in password",
                        "EHLO c\r\nAUTH LOGIN " + base64(USER) + "\r\n" + base64("a\nb") + "\r\n",
                        List.of("250-mailpin.test", "250-AUTH PLAIN LOGIN", "250 ENHANCEDSTATUSCODES",
                                SubmissionSession.LOGIN_PASSWORD_PROMPT,
                                "501 5.5.2 CR, LF and NUL are not allowed in a password.")),
                new Exchange("STARTTLS without TLS", "STARTTLS\r\n", List.of("502 5.5.1 STARTTLS is not available.")),
                new Exchange("QUIT", "QUIT\r\n", Arrays.asList("221 2.0.0 Bye.", null)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("preloginExchanges")
    void preloginExchange(Exchange exchange) throws Exception {
        try (LineClient client = start(b -> b)) {
            client.write(exchange.sent());

            assertEquals(exchange.expected(), client.readLines(exchange.expected().size()));
        }
    }

    /** A successful AUTH as clients send it, after EHLO. */
    record Login(String name, String sent, List<String> expected) {

        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Login> logins() {
        return Stream.of(
                new Login("PLAIN with initial response", "AUTH PLAIN " + base64("\0user01\0" + PASSWORD) + "\r\n",
                        List.of("235 2.7.0 Logged in.")),
                new Login("PLAIN after challenge", "AUTH PLAIN\r\n" + base64("\0user01\0" + PASSWORD) + "\r\n",
                        List.of("334 ", "235 2.7.0 Logged in.")),
                new Login("LOGIN with prompts", "AUTH LOGIN\r\n" + base64("user01") + "\r\n" + base64(PASSWORD) + "\r\n",
                        List.of(SubmissionSession.LOGIN_USER_PROMPT, SubmissionSession.LOGIN_PASSWORD_PROMPT,
                                "235 2.7.0 Logged in.")),
                new Login("LOGIN with initial user name", "auth login " + base64("user01") + "\r\n" + base64(PASSWORD)
                        + "\r\n", List.of(SubmissionSession.LOGIN_PASSWORD_PROMPT, "235 2.7.0 Logged in.")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("logins")
    void loginAccepted(Login login) throws Exception {
        try (LineClient client = startWithBackend(dovecotLike(DOVECOT_EXTENSIONS), b -> b)) {
            client.write(login.sent());

            assertEquals(login.expected(), client.readLines(login.expected().size()));
        }
    }

    @Test
    void loginForwardsClientAndRelays() throws Exception {
        try (LineClient client = startWithBackend(dovecotLike(DOVECOT_EXTENSIONS), b -> b)) {
            client.writeLine("AUTH PLAIN " + base64("\0User01\0" + PASSWORD));
            client.readLine();
            client.writeLine("MAIL FROM:<" + USER + ">");

            assertEquals("250 echo MAIL FROM:<" + USER + ">", client.readLine());
            List<String> received = backend.received;
            assertEquals("EHLO mailpin.test", received.get(0));
            assertTrue(received.get(1).matches("XCLIENT ADDR=127\\.0\\.0\\.1 PORT=" + client.localPort()
                    + " PROTO=ESMTP HELO=client\\.example SESSION=submission-[0-9a-z]+ TTL=4"), received.get(1));
            assertEquals(List.of("EHLO client.example", "AUTH PLAIN " + base64("\0" + USER + "\0" + PASSWORD),
                    "MAIL FROM:<" + USER + ">"), received.subList(2, received.size()));
        }
    }

    @Test
    void xclientSendsOnlyListedAttributes() throws Exception {
        List<String> extensions = List.of("AUTH PLAIN", "XCLIENT ADDR PORT");
        try (LineClient client = startWithBackend(dovecotLike(extensions), b -> b)) {
            client.writeLine("AUTH PLAIN " + base64("\0" + USER + "\0" + PASSWORD));
            client.readLine();

            assertEquals("XCLIENT ADDR=127.0.0.1 PORT=" + client.localPort(), backend.received.get(1));
        }
    }

    @Test
    void longCredentialsSentAfterChallenge() throws Exception {
        String longUser = "u".repeat(200) + "@example.test";
        String response = base64("\0" + longUser + "\0" + "p".repeat(300) + PASSWORD);
        try (LineClient client = startWithBackend(dovecotLike(DOVECOT_EXTENSIONS), b -> b)) {
            client.writeLine("AUTH PLAIN " + response);

            assertEquals("235 2.7.0 Logged in.", client.readLine());
            assertEquals(List.of("AUTH PLAIN", response), backend.received.subList(3, 5));
        }
    }

    @Test
    void backendWithoutXclientGetsNoXclient() throws Exception {
        try (LineClient client = startWithBackend(dovecotLike(List.of("AUTH PLAIN LOGIN")), b -> b)) {
            client.writeLine("AUTH PLAIN " + base64("\0" + USER + "\0" + PASSWORD));

            assertEquals("235 2.7.0 Logged in.", client.readLine());
            assertEquals(List.of("EHLO mailpin.test", "AUTH PLAIN " + base64("\0" + USER + "\0" + PASSWORD)),
                    backend.received);
        }
    }

    @Test
    void backendWithoutAuthIsTemporaryFailure() throws Exception {
        try (LineClient client = startWithBackend(dovecotLike(List.of("STARTTLS")), b -> b)) {
            client.writeLine("AUTH PLAIN " + base64("\0" + USER + "\0" + PASSWORD));

            assertEquals(SubmissionSession.TEMPORARY_FAILURE, client.readLine());
        }
    }

    @Test
    void loginOutcomesCounted() throws Exception {
        try (LineClient client = startWithBackend(dovecotLike(DOVECOT_EXTENSIONS), b -> b)) {
            client.writeLine("AUTH PLAIN not-base64");
            client.writeLine("AUTH PLAIN " + base64("\0" + USER + "\0wrong"));
            client.writeLine("NOOP");
            client.readLines(3);
            client.writeLine("AUTH LOGIN " + base64(USER));
            client.readLine();
            client.writeLine(base64(PASSWORD));
            client.readLine();
            client.writeLine("NOOP");
            client.readLine();

            Samples samples = Samples.parse(harness.context.metrics().scrape());
            assertEquals(1.0, samples.require("mailpin_logins_total{protocol=\"submission\",result=\"rejected\"}"));
            assertEquals(1.0, samples.require("mailpin_logins_total{protocol=\"submission\",result=\"auth_failed\"}"));
            assertEquals(1.0, samples.require("mailpin_logins_total{protocol=\"submission\",result=\"ok\"}"));
        }
    }

    @Test
    void backendRejectionRelayedVerbatim() throws Exception {
        try (LineClient client = startWithBackend(dovecotLike(DOVECOT_EXTENSIONS), b -> b)) {
            client.writeLine("AUTH PLAIN " + base64("\0" + USER + "\0wrong"));
            client.writeLine("NOOP");

            assertEquals(List.of("535 5.7.8 Authentication failed.", "250 2.0.0 OK"), client.readLines(2));
        }
    }

    @Test
    void noBackendIsTemporaryFailure() throws Exception {
        try (LineClient client = start(b -> b)) {
            client.writeLine("EHLO client.example");
            client.readThrough("250 ");
            client.writeLine("AUTH PLAIN " + base64("\0" + USER + "\0" + PASSWORD));

            assertEquals(SubmissionSession.TEMPORARY_FAILURE, client.readLine());
        }
    }

    @Test
    void startTlsDropsPipelinedCommandAndForgetsEhlo() throws Exception {
        try (MailLogCapture log = new MailLogCapture(); LineClient client = start(b -> b.tls(folder))) {
            client.writeLine("EHLO client.example");
            client.readThrough("250 ");
            client.write("STARTTLS\r\nNOOP\r\n");
            assertEquals("220 2.0.0 Ready to start TLS.", client.readLine());
            client.startTls(harness.clientTls());
            client.writeLine("AUTH PLAIN");

            assertEquals("503 5.5.1 Send EHLO first.", client.readLine());
            assertTrue(log.text().contains("dropped 6 bytes"), log.text());
        }
    }

    @Test
    void submissionsGreetsOverTls() throws Exception {
        try (LineClient client = start(Protocol.SUBMISSIONS, b -> b.tls(folder))) {
            client.writeLine("EHLO client.example");

            assertFalse(client.readThrough("250 ").contains("250-STARTTLS"));
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
    void tooManyBadCommandsCloses() throws Exception {
        try (LineClient client = start(b -> b.maxBadCommands(1))) {
            client.write("X1\r\nX2\r\n");

            assertEquals(Arrays.asList("500 5.5.1 Unknown command.", "500 5.5.1 Unknown command.",
                    "421 4.7.0 Too many bad commands; closing the connection.", null), client.readLines(4));
        }
    }

    @Test
    void longLineCloses() throws Exception {
        try (LineClient client = start(b -> b.maxLine(1024))) {
            client.writeLine("EHLO " + "x".repeat(2000));

            assertEquals(Arrays.asList("421 4.7.0 Line too long; closing the connection.", null), client.readLines(2));
        }
    }

    @Test
    void preloginTimeoutCloses() throws Exception {
        try (LineClient client = start(b -> b.preloginTimeout(Duration.ofMillis(300)))) {
            assertEquals(Arrays.asList("421 4.4.2 Disconnected for inactivity.", null), client.readLines(2));
        }
    }

    @Test
    void secretsNeverLogged() throws Exception {
        String wrong = base64("\0" + USER + "\0wrong-password");
        try (MailLogCapture log = new MailLogCapture();
             LineClient client = startWithBackend(dovecotLike(DOVECOT_EXTENSIONS), b -> b)) {
            client.writeLine("AUTH PLAIN " + wrong);
            client.readLine();
            client.writeLine("AUTH LOGIN " + base64(USER));
            client.readLine();
            client.writeLine(base64(PASSWORD));
            client.readLine();
            client.writeLine("NOOP");
            client.readLine();

            for (String secret : List.of("wrong-password", PASSWORD, wrong, base64(PASSWORD))) {
                assertFalse(log.text().contains(secret), "log contains " + secret + ":\n" + log.text());
            }
            assertTrue(log.text().contains("submission login of " + USER + " from 127.0.0.1 proxied to backend be1"),
                    log.text());
        }
    }
}
