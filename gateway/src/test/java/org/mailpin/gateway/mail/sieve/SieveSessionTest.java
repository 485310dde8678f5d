package org.mailpin.gateway.mail.sieve;

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

/** The ManageSieve session against a scripted backend on loopback. */
class SieveSessionTest {

    private static final String USER = "user01@example.test";
    private static final String PASSWORD = "secret01";
    private static final List<String> GREETING = List.of("\"IMPLEMENTATION\" \"Mailpin\"", "\"SASL\" \"PLAIN\"",
            "\"SIEVE\" \"\"", "\"VERSION\" \"1.0\"", "OK \"Mailpin ready.\"");
    private static final List<String> PIGEONHOLE_CAPABILITIES = List.of(
            "\"IMPLEMENTATION\" \"Dovecot Pigeonhole\"", "\"SIEVE\" \"fileinto vacation\"", "\"NOTIFY\" \"mailto\"",
            "\"SASL\" \"PLAIN LOGIN\"", "\"VERSION\" \"1.0\"");

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
        harness = settings.apply(MailProxyHarness.builder(Protocol.SIEVE, SieveSession::register)).start();
        return harness.connect();
    }

    private LineClient startWithBackend(ScriptedBackend.Conversation conversation,
                                        UnaryOperator<MailProxyHarness.Builder> settings) throws Exception {
        backend = new ScriptedBackend(conversation);
        LineClient client = start(settings);
        harness.director.useBackend(backend.port());
        client.readThrough("OK");
        return client;
    }

    /**
     * A backend like Pigeonhole's managesieve-login from a trusted network: it accepts XCLIENT and
     * AUTHENTICATE "PLAIN" with a quoted initial response, and after a login replies to every line
     * with "ECHO LINE".
     */
    static ScriptedBackend.Conversation pigeonholeLike(List<String> capabilities) {
        return peer -> {
            for (String capability : capabilities) {
                peer.send(capability);
            }
            peer.send("OK \"Dovecot ready.\"");
            String line;
            while ((line = peer.readLine()) != null) {
                if (line.startsWith("XCLIENT ")) {
                    peer.send("OK \"Updated\"");
                } else if (line.startsWith("AUTHENTICATE \"PLAIN\" \"")
                        && plain(line.substring(22, line.length() - 1)).endsWith("\0" + PASSWORD)) {
                    peer.send("OK \"Logged in.\"");
                    peer.echoLines("ECHO ");
                    return;
                } else {
                    peer.send("NO \"Authentication failed.\"");
                }
            }
        };
    }

    static List<String> withXclient(List<String> capabilities) {
        List<String> all = new ArrayList<>(capabilities);
        all.add("\"XCLIENT\"");
        return all;
    }

    static String plain(String base64) {
        return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
    }

    static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void greetingListsCapabilities() throws Exception {
        try (LineClient client = start(b -> b)) {
            assertEquals(GREETING, client.readThrough("OK"));
        }
    }

    @Test
    void greetingOffersStartTls() throws Exception {
        try (LineClient client = start(b -> b.tls(folder))) {
            assertTrue(client.readThrough("OK").contains("\"STARTTLS\""));
        }
    }

    @Test
    void greetingHidesPlainWhenTlsRequired() throws Exception {
        try (LineClient client = start(b -> b.tls(folder).requireTls())) {
            assertTrue(client.readThrough("OK").contains("\"SASL\" \"\""));
        }
    }

    /** A client conversation before login: what it sends, then the lines expected. */
    record Exchange(String name, String sent, List<String> expected) {

        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Exchange> preloginExchanges() {
        return Stream.of(
                new Exchange("CAPABILITY", "CAPABILITY\r\n", List.of("\"IMPLEMENTATION\" \"Mailpin\"",
                        "\"SASL\" \"PLAIN\"", "\"SIEVE\" \"\"", "\"VERSION\" \"1.0\"", "OK \"Capability completed.\"")),
                new Exchange("lowercase command", "noop\r\n", List.of("OK \"Done\"")),
                new Exchange("NOOP with tag", "NOOP \"abc\"\r\n", List.of("OK (TAG \"abc\") \"Done\"")),
                new Exchange("NOOP with two tags", "NOOP \"a\" \"b\"\r\n", List.of("NO \"Syntax error in the arguments.\"")),
                new Exchange("unknown command", "HAVESPACE \"s\" 10\r\n", List.of("NO \"Unknown command.\"")),
                new Exchange("string as command", "\"NOOP\"\r\n", List.of("NO \"Syntax error: expected a command name.\"")),
                new Exchange("missing closing quote", "NOOP \"abc\r\n", List.of("NO \"Syntax error: missing closing quote.\"")),
                new Exchange("unsupported mechanism", "AUTHENTICATE \"DIGEST-MD5\"\r\n",
                        List.of("NO \"Unsupported authentication mechanism.\"")),
                new Exchange("AUTHENTICATE without mechanism", "AUTHENTICATE\r\n",
                        List.of("NO \"Syntax error in the arguments.\"")),
                new Exchange("bad base64", "AUTHENTICATE \"PLAIN\" \"%%%\"\r\n",
                        List.of("NO \"Invalid base64 in the SASL response.\"")),
                new Exchange("CR in password", "AUTHENTICATE \"PLAIN\" \"" + base64("\0" + USER + "\0a\rb") + "\"\r\n",
                        List.of("NO \"CR, LF and NUL are not allowed in a password.\"")),
                new Exchange("cancelled with *", "AUTHENTICATE \"PLAIN\"\r\n\"*\"\r\n",
                        List.of("\"\"", "NO \"Authentication aborted.\"")),
                new Exchange("continuation not a string", "AUTHENTICATE \"PLAIN\"\r\nabc\r\n",
                        List.of("\"\"", "NO \"Syntax error: expected the SASL response as one string.\"")),
                new Exchange("STARTTLS without TLS", "STARTTLS\r\n", List.of("NO \"STARTTLS is not available.\"")),
                new Exchange("LOGOUT", "LOGOUT\r\n", Arrays.asList("OK \"Logout completed.\"", null)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("preloginExchanges")
    void preloginExchange(Exchange exchange) throws Exception {
        try (LineClient client = start(b -> b)) {
            client.readThrough("OK");
            client.write(exchange.sent());

            assertEquals(exchange.expected(), client.readLines(exchange.expected().size()));
        }
    }

    /** A successful AUTHENTICATE as clients send it. */
    record Login(String name, String sent, List<String> expected) {

        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Login> logins() {
        String response = base64("\0user01\0" + PASSWORD);
        return Stream.of(
                new Login("quoted initial response", "AUTHENTICATE \"PLAIN\" \"" + response + "\"\r\n",
                        List.of("OK \"Logged in.\"")),
                new Login("literal initial response as Roundcube sends it",
                        "AUTHENTICATE \"PLAIN\" {" + response.length() + "+}\r\n" + response + "\r\n",
                        List.of("OK \"Logged in.\"")),
                new Login("synchronizing literal", "AUTHENTICATE \"PLAIN\" {" + response.length() + "}\r\n" + response
                        + "\r\n", List.of("OK \"Logged in.\"")),
                new Login("quoted continuation", "AUTHENTICATE \"PLAIN\"\r\n\"" + response + "\"\r\n",
                        List.of("\"\"", "OK \"Logged in.\"")),
                new Login("literal continuation", "AUTHENTICATE \"PLAIN\"\r\n{" + response.length() + "+}\r\n" + response
                        + "\r\n", List.of("\"\"", "OK \"Logged in.\"")),
                new Login("atom mechanism", "AUTHENTICATE PLAIN \"" + response + "\"\r\n", List.of("OK \"Logged in.\"")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("logins")
    void loginAccepted(Login login) throws Exception {
        try (LineClient client = startWithBackend(pigeonholeLike(withXclient(PIGEONHOLE_CAPABILITIES)), b -> b)) {
            client.write(login.sent());

            assertEquals(login.expected(), client.readLines(login.expected().size()));
        }
    }

    @Test
    void loginForwardsClientAndNormalizedUser() throws Exception {
        try (LineClient client = startWithBackend(pigeonholeLike(withXclient(PIGEONHOLE_CAPABILITIES)), b -> b)) {
            client.writeLine("AUTHENTICATE \"PLAIN\" \"" + base64("\0User01\0" + PASSWORD) + "\"");
            client.readLine();
            client.writeLine("LISTSCRIPTS");

            assertEquals("ECHO LISTSCRIPTS", client.readLine());
            List<String> received = backend.received;
            assertTrue(received.get(0).matches("XCLIENT ADDR=127\\.0\\.0\\.1 PORT=" + client.localPort()
                    + " SESSION=sieve-[0-9a-z]+ TTL=4"), received.get(0));
            assertEquals("AUTHENTICATE \"PLAIN\" \"" + base64("\0" + USER + "\0" + PASSWORD) + "\"", received.get(1));
        }
    }

    @Test
    void backendWithoutXclientGetsNoXclient() throws Exception {
        try (LineClient client = startWithBackend(pigeonholeLike(PIGEONHOLE_CAPABILITIES), b -> b)) {
            client.writeLine("AUTHENTICATE \"PLAIN\" \"" + base64("\0" + USER + "\0" + PASSWORD) + "\"");

            assertEquals("OK \"Logged in.\"", client.readLine());
            assertTrue(backend.received.get(0).startsWith("AUTHENTICATE "), backend.received.get(0));
        }
    }

    @Test
    void backendRejectionRelayedVerbatim() throws Exception {
        try (LineClient client = startWithBackend(pigeonholeLike(withXclient(PIGEONHOLE_CAPABILITIES)), b -> b)) {
            client.writeLine("AUTHENTICATE \"PLAIN\" \"" + base64("\0" + USER + "\0wrong") + "\"");
            client.writeLine("NOOP");

            assertEquals(List.of("NO \"Authentication failed.\"", "OK \"Done\""), client.readLines(2));
        }
    }

    @Test
    void loginOutcomesCounted() throws Exception {
        try (LineClient client = startWithBackend(pigeonholeLike(withXclient(PIGEONHOLE_CAPABILITIES)), b -> b)) {
            client.writeLine("AUTHENTICATE \"PLAIN\" \"not-base64\"");
            client.writeLine("AUTHENTICATE \"PLAIN\" \"" + base64("\0" + USER + "\0wrong") + "\"");
            client.writeLine("AUTHENTICATE \"PLAIN\" \"" + base64("\0" + USER + "\0" + PASSWORD) + "\"");
            client.readLines(3);
            client.writeLine("NOOP");
            client.readLine();

            Samples samples = Samples.parse(harness.context.metrics().scrape());
            assertEquals(1.0, samples.require("mailpin_logins_total{protocol=\"sieve\",result=\"rejected\"}"));
            assertEquals(1.0, samples.require("mailpin_logins_total{protocol=\"sieve\",result=\"auth_failed\"}"));
            assertEquals(1.0, samples.require("mailpin_logins_total{protocol=\"sieve\",result=\"ok\"}"));
        }
    }

    @Test
    void backendWithoutPlainIsTemporaryFailure() throws Exception {
        List<String> noPlain = List.of("\"SIEVE\" \"fileinto\"", "\"SASL\" \"GSSAPI\"");
        try (LineClient client = startWithBackend(pigeonholeLike(noPlain), b -> b)) {
            client.writeLine("AUTHENTICATE \"PLAIN\" \"" + base64("\0" + USER + "\0" + PASSWORD) + "\"");

            assertEquals(SieveSession.TEMPORARY_FAILURE, client.readLine());
        }
    }

    @Test
    void noBackendIsTemporaryFailure() throws Exception {
        try (LineClient client = start(b -> b)) {
            client.readThrough("OK");
            client.writeLine("AUTHENTICATE \"PLAIN\" \"" + base64("\0" + USER + "\0" + PASSWORD) + "\"");

            assertEquals(SieveSession.TEMPORARY_FAILURE, client.readLine());
        }
    }

    @Test
    void plaintextLoginRejectedWhenTlsRequired() throws Exception {
        try (LineClient client = start(b -> b.tls(folder).requireTls())) {
            client.readThrough("OK");
            client.writeLine("AUTHENTICATE \"PLAIN\" \"" + base64("\0" + USER + "\0" + PASSWORD) + "\"");

            assertEquals(SieveSession.ENCRYPT_NEEDED, client.readLine());
        }
    }

    @Test
    void greetingRepeatsBackendSieveCapability() throws Exception {
        try (LineClient first = startWithBackend(pigeonholeLike(withXclient(PIGEONHOLE_CAPABILITIES)), b -> b)) {
            first.writeLine("AUTHENTICATE \"PLAIN\" \"" + base64("\0" + USER + "\0" + PASSWORD) + "\"");
            first.readLine();
            try (LineClient second = harness.connect()) {
                List<String> greeting = second.readThrough("OK");

                assertEquals(List.of("\"IMPLEMENTATION\" \"Mailpin\"", "\"SASL\" \"PLAIN\"",
                        "\"SIEVE\" \"fileinto vacation\"", "\"NOTIFY\" \"mailto\"", "\"VERSION\" \"1.0\"",
                        "OK \"Mailpin ready.\""), greeting);
            }
        }
    }

    @Test
    void startTlsDropsPipelinedCommandAndRepeatsCapabilities() throws Exception {
        try (MailLogCapture log = new MailLogCapture(); LineClient client = start(b -> b.tls(folder))) {
            client.readThrough("OK");
            client.write("STARTTLS\r\nLOGOUT\r\n");
            assertEquals("OK \"Begin TLS negotiation now.\"", client.readLine());
            client.startTls(harness.clientTls());

            assertEquals(List.of("\"IMPLEMENTATION\" \"Mailpin\"", "\"SASL\" \"PLAIN\"", "\"SIEVE\" \"\"",
                    "\"VERSION\" \"1.0\"", "OK \"TLS negotiation successful.\""), client.readThrough("OK"));
            client.writeLine("NOOP");
            assertEquals("OK \"Done\"", client.readLine());
            assertTrue(log.text().contains("dropped 8 bytes"), log.text());
        }
    }

    @Test
    void stopClosesWaitingClient() throws Exception {
        try (LineClient client = start(b -> b)) {
            client.readThrough("OK");
            harness.close();

            assertNull(client.readLine());
        }
    }

    @Test
    void tooManyBadCommandsCloses() throws Exception {
        try (LineClient client = start(b -> b.maxBadCommands(1))) {
            client.readThrough("OK");
            client.write("X1\r\nX2\r\n");

            assertEquals(Arrays.asList("NO \"Unknown command.\"", "NO \"Unknown command.\"",
                    "BYE \"Too many bad commands.\"", null), client.readLines(4));
        }
    }

    @Test
    void longLiteralCloses() throws Exception {
        try (LineClient client = start(b -> b.maxLine(1024))) {
            client.readThrough("OK");
            client.write("AUTHENTICATE \"PLAIN\" {5000+}\r\n");

            assertEquals(Arrays.asList("BYE \"Line too long.\"", null), client.readLines(2));
        }
    }

    @Test
    void preloginTimeoutCloses() throws Exception {
        try (LineClient client = start(b -> b.preloginTimeout(Duration.ofMillis(300)))) {
            client.readThrough("OK");

            assertEquals(Arrays.asList("BYE \"Disconnected for inactivity.\"", null), client.readLines(2));
        }
    }

    @Test
    void secretsNeverLogged() throws Exception {
        String wrong = base64("\0" + USER + "\0wrong-password");
        String right = base64("\0" + USER + "\0" + PASSWORD);
        try (MailLogCapture log = new MailLogCapture();
             LineClient client = startWithBackend(pigeonholeLike(withXclient(PIGEONHOLE_CAPABILITIES)), b -> b)) {
            client.writeLine("AUTHENTICATE \"PLAIN\" \"" + wrong + "\"");
            client.readLine();
            client.writeLine("AUTHENTICATE \"PLAIN\" {" + right.length() + "+}");
            client.writeLine(right);
            client.readLine();
            client.writeLine("LISTSCRIPTS");
            client.readLine();

            for (String secret : List.of("wrong-password", PASSWORD, wrong, right)) {
                assertFalse(log.text().contains(secret), "log contains " + secret + ":\n" + log.text());
            }
            assertTrue(log.text().contains("sieve login of " + USER + " from 127.0.0.1 proxied to backend be1"),
                    log.text());
        }
    }
}
