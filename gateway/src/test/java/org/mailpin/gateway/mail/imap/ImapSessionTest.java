package org.mailpin.gateway.mail.imap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.mailpin.gateway.mail.LiveConnections;
import org.mailpin.gateway.mail.Protocol;
import org.mailpin.gateway.mail.ScriptedBackend;
import org.mailpin.gateway.metrics.Samples;

/** The IMAP session over real sockets: a MailServer in front of a scripted backend. */
class ImapSessionTest {

    private static final String USER = "user01@example.test";
    private static final String LOGGED_IN = "a1 " + FakeImapBackend.LOGGED_IN;

    @TempDir
    static Path certificateFolder;
    static TestCertificates certificates;

    @BeforeAll
    static void createCertificates() throws Exception {
        certificates = TestCertificates.create(certificateFolder);
    }

    private static ImapProxyFixture proxy() throws Exception {
        return new ImapProxyFixture(ImapProxyFixture.Options.defaults());
    }

    private static ImapProxyFixture proxy(ImapProxyFixture.Options options) throws Exception {
        return new ImapProxyFixture(options);
    }

    private static String plain(String message) {
        return Base64.getEncoder().encodeToString(message.getBytes(StandardCharsets.UTF_8));
    }

    // Sends each step; between steps the proxy must ask for more with a "+" line.
    private static void sendSteps(ImapTestClient client, List<String> steps) throws Exception {
        for (int i = 0; i < steps.size(); i++) {
            if (i > 0) {
                String continuation = client.readLine();
                assertNotNull(continuation, "connection closed before step " + i);
                assertTrue(continuation.startsWith("+"), "expected a continuation request before step " + i
                        + ", got " + continuation);
            }
            client.send(steps.get(i));
        }
    }

    // --- Greeting and capabilities ----------------------------------------------------------

    @Test
    void greetingWithTlsConfigured() throws Exception {
        try (ImapProxyFixture proxy = proxy(ImapProxyFixture.Options.defaults().withCertificates(certificates));
             ImapTestClient client = ImapTestClient.connect("127.0.0.1", proxy.imapPort())) {
            assertEquals("* OK [CAPABILITY IMAP4rev1 SASL-IR LITERAL+ ID STARTTLS AUTH=PLAIN] Mailpin ready.",
                    client.readLine());
        }
    }

    @Test
    void greetingWithoutTls() throws Exception {
        try (ImapProxyFixture proxy = proxy(); ImapTestClient client = ImapTestClient.connect("127.0.0.1", proxy.imapPort())) {
            assertEquals("* OK [CAPABILITY IMAP4rev1 SASL-IR LITERAL+ ID AUTH=PLAIN] Mailpin ready.", client.readLine());
        }
    }

    @Test
    void greetingWithRequireTls() throws Exception {
        try (ImapProxyFixture proxy = proxy(ImapProxyFixture.Options.defaults().withCertificates(certificates)
                .withRequireTls());
             ImapTestClient client = ImapTestClient.connect("127.0.0.1", proxy.imapPort())) {
            assertEquals("* OK [CAPABILITY IMAP4rev1 SASL-IR LITERAL+ ID STARTTLS LOGINDISABLED] Mailpin ready.",
                    client.readLine());
        }
    }

    @Test
    void greetingOverImaps() throws Exception {
        try (ImapProxyFixture proxy = proxy(ImapProxyFixture.Options.defaults().withCertificates(certificates)
                .withRequireTls());
             ImapTestClient client = ImapTestClient.connectTls("127.0.0.1", proxy.imapsPort(),
                     certificates.clientContext())) {
            assertEquals("* OK [CAPABILITY IMAP4rev1 SASL-IR LITERAL+ ID AUTH=PLAIN] Mailpin ready.", client.readLine());
        }
    }

    @Test
    void capabilityCommand() throws Exception {
        try (ImapProxyFixture proxy = proxy(); ImapTestClient client = proxy.connect()) {
            client.send("a CAPABILITY\r\n");

            assertEquals(List.of("* CAPABILITY IMAP4rev1 SASL-IR LITERAL+ ID AUTH=PLAIN",
                    "a OK Pre-login capabilities listed, post-login capabilities have more."), client.readUntilTagged("a"));
        }
    }

    // --- Commands that the proxy handles itself ----------------------------------------------

    @Test
    void idAnsweredLocally() throws Exception {
        try (ImapProxyFixture proxy = proxy(); ImapTestClient client = proxy.connect()) {
            client.send("a1 ID (\"name\" {7}\r\n");
            assertEquals("+ OK", client.readLine());
            client.send("Outlook)\r\n");

            assertEquals(List.of("* ID (\"name\" \"Mailpin\")", "a1 OK ID completed."), client.readUntilTagged("a1"));
            assertTrue(proxy.backend.connections.isEmpty());
        }
    }

    @Test
    void logoutSendsByeThenOk() throws Exception {
        try (ImapProxyFixture proxy = proxy(); ImapTestClient client = proxy.connect()) {
            client.send("a LOGOUT\r\n");

            assertEquals(List.of("* BYE Logging out", "a OK Logout completed."), client.readUntilTagged("a"));
            assertTrue(client.closedByServer());
        }
    }

    @Test
    void noopAnswered() throws Exception {
        try (ImapProxyFixture proxy = proxy(); ImapTestClient client = proxy.connect()) {
            assertEquals("a OK NOOP completed.", client.command("a", "NOOP"));
        }
    }

    // --- Successful logins ------------------------------------------------------------------

    static Stream<Arguments> successfulLogins() {
        String initialResponse = plain("\0" + USER + "\0secret01");
        return Stream.of(
                Arguments.of("LOGIN with atoms", List.of("a1 LOGIN user01@example.test secret01\r\n")),
                Arguments.of("LOGIN with quoted strings", List.of("a1 LOGIN \"user01@example.test\" \"secret01\"\r\n")),
                Arguments.of("LOGIN with synchronizing literals",
                        List.of("a1 LOGIN {19}\r\n", "user01@example.test {8}\r\n", "secret01\r\n")),
                Arguments.of("LOGIN with non-synchronizing literals",
                        List.of("a1 LOGIN {19+}\r\nuser01@example.test {8+}\r\nsecret01\r\n")),
                Arguments.of("LOGIN with a name the director normalizes", List.of("a1 LOGIN User01 secret01\r\n")),
                Arguments.of("AUTHENTICATE PLAIN with SASL-IR", List.of("a1 AUTHENTICATE PLAIN " + initialResponse + "\r\n")),
                Arguments.of("AUTHENTICATE PLAIN with continuation",
                        List.of("a1 AUTHENTICATE PLAIN\r\n", initialResponse + "\r\n")),
                Arguments.of("AUTHENTICATE PLAIN with authzid equal to the user",
                        List.of("a1 AUTHENTICATE PLAIN " + plain(USER + "\0" + USER + "\0secret01") + "\r\n")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("successfulLogins")
    void loginRelayed(String name, List<String> steps) throws Exception {
        try (ImapProxyFixture proxy = proxy(); ImapTestClient client = proxy.connect()) {
            sendSteps(client, steps);

            assertEquals(LOGGED_IN, client.tagged("a1"));
            assertEquals("b1 OK NOOP completed.", client.command("b1", "NOOP"));
            assertEquals(USER, new String(proxy.backend.lastConnection().user, StandardCharsets.UTF_8));
        }
    }

    @Test
    void pipelinedCommandAfterLoginReachesBackend() throws Exception {
        try (ImapProxyFixture proxy = proxy(); ImapTestClient client = proxy.connect()) {
            client.send("a1 LOGIN user01 secret01\r\nb1 NOOP\r\n");

            assertEquals(LOGGED_IN, client.tagged("a1"));
            assertEquals("b1 OK NOOP completed.", client.tagged("b1"));
        }
    }

    @Test
    void loginOverImaps() throws Exception {
        try (ImapProxyFixture proxy = proxy(ImapProxyFixture.Options.defaults().withCertificates(certificates)
                .withRequireTls());
             ImapTestClient client = ImapTestClient.connectTls("127.0.0.1", proxy.imapsPort(),
                     certificates.clientContext())) {
            client.readLine();

            assertEquals(LOGGED_IN, client.command("a1", "LOGIN user01 secret01"));
            assertEquals(Protocol.IMAPS, proxy.live.forUser(USER).get(0).protocol());
        }
    }

    @Test
    void loginRegistersLiveConnection() throws Exception {
        try (ImapProxyFixture proxy = proxy(); ImapTestClient client = proxy.connect()) {
            client.command("a1", "LOGIN user01 secret01");
            client.command("b1", "NOOP");

            List<LiveConnections.Entry> entries = proxy.live.forUser(USER);
            assertEquals(1, entries.size());
            assertEquals("be1", entries.get(0).backendId());
            assertEquals("127.0.0.1", entries.get(0).clientIp());
            assertEquals(Protocol.IMAP, entries.get(0).protocol());
        }
    }

    @Test
    void kickClosesClient() throws Exception {
        try (ImapProxyFixture proxy = proxy(); ImapTestClient client = proxy.connect()) {
            client.command("a1", "LOGIN user01 secret01");
            client.command("b1", "NOOP");

            assertEquals(1, proxy.live.kick(USER));
            assertTrue(client.closedByServer());
        }
    }

    // --- Rejected logins and bad commands ------------------------------------------------------

    static Stream<Arguments> rejectedCommands() {
        String crlfUser = "user01\r\nX DELETE INBOX";
        String nulPassword = "sec\0ret";
        return Stream.of(
                Arguments.of("wrong password", List.of("a1 LOGIN user01 wrong\r\n"),
                        "a1 NO [AUTHENTICATIONFAILED] Authentication failed.", true),
                Arguments.of("AUTHENTICATE cancelled with *", List.of("a1 AUTHENTICATE PLAIN\r\n", "*\r\n"),
                        "a1 BAD Authentication aborted by client.", false),
                Arguments.of("AUTHENTICATE with empty initial response", List.of("a1 AUTHENTICATE PLAIN =\r\n"),
                        "a1 BAD Invalid PLAIN response; expected base64 of [authzid] NUL username NUL password.", false),
                Arguments.of("AUTHENTICATE with invalid base64", List.of("a1 AUTHENTICATE PLAIN AB!!\r\n"),
                        "a1 BAD Invalid PLAIN response; expected base64 of [authzid] NUL username NUL password.", false),
                Arguments.of("AUTHENTICATE with another mechanism", List.of("a1 AUTHENTICATE CRAM-MD5\r\n"),
                        "a1 NO Unsupported authentication mechanism; this server offers PLAIN.", false),
                Arguments.of("AUTHENTICATE as another user",
                        List.of("a1 AUTHENTICATE PLAIN " + plain("admin\0" + USER + "\0secret01") + "\r\n"),
                        "a1 NO [CANNOT] Logging in as another user (a PLAIN authorization identity) is not supported.",
                        false),
                Arguments.of("AUTHENTICATE with CRLF in the password",
                        List.of("a1 AUTHENTICATE PLAIN " + plain("\0" + USER + "\0secret01\r\nX DELETE INBOX") + "\r\n"),
                        "a1 BAD The username or password contains CR, LF or NUL.", false),
                Arguments.of("LOGIN with CRLF in a literal username",
                        List.of("a1 LOGIN {" + crlfUser.length() + "}\r\n", crlfUser + " secret01\r\n"),
                        "a1 BAD The username or password contains CR, LF or NUL.", false),
                Arguments.of("LOGIN with LF in a literal password",
                        List.of("a1 LOGIN user01 {9}\r\n", "secret\n01\r\n"),
                        "a1 BAD The username or password contains CR, LF or NUL.", false),
                Arguments.of("LOGIN with NUL in a literal password",
                        List.of("a1 LOGIN user01 {" + nulPassword.length() + "}\r\n", nulPassword + "\r\n"),
                        "a1 BAD The username or password contains CR, LF or NUL.", false),
                Arguments.of("LOGIN with NUL in a quoted password", List.of("a1 LOGIN user01 \"sec\0ret\"\r\n"),
                        "a1 BAD NUL in a quoted string.", false),
                Arguments.of("LOGIN with one argument", List.of("a1 LOGIN user01\r\n"),
                        "a1 BAD LOGIN expects a username and a password.", false),
                Arguments.of("LOGIN with an empty username", List.of("a1 LOGIN \"\" secret01\r\n"),
                        "a1 BAD Invalid username.", false),
                Arguments.of("LOGIN without a tag", List.of("LOGIN user01 secret01\r\n"),
                        "LOGIN BAD The first word of a command is its tag; send e.g. 'a LOGIN ...'.", false),
                Arguments.of("command valid only after login", List.of("a1 SELECT INBOX\r\n"),
                        "a1 BAD Command SELECT is unknown or not allowed before login.", false),
                Arguments.of("ID with an odd number of items", List.of("a1 ID (\"name\")\r\n"),
                        "a1 BAD ID expects NIL or a list of at most 30 field-value pairs.", false),
                Arguments.of("STARTTLS without a certificate", List.of("a1 STARTTLS\r\n"),
                        "a1 BAD STARTTLS is not available: no TLS certificate is configured.", false),
                Arguments.of("bare LF", List.of("a1 NOOP\n"),
                        "* BAD Lines must end with CRLF; a bare CR or LF is not allowed.", false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rejectedCommands")
    void commandRejected(String name, List<String> steps, String expectedReply, boolean reachesBackend)
            throws Exception {
        try (ImapProxyFixture proxy = proxy(); ImapTestClient client = proxy.connect()) {
            sendSteps(client, steps);

            String tag = expectedReply.substring(0, expectedReply.indexOf(' '));
            assertEquals(expectedReply, client.tagged(tag));
            assertEquals("z OK NOOP completed.", client.command("z", "NOOP"));
            assertEquals(reachesBackend ? 1 : 0, proxy.backend.connections.size());
        }
    }

    @Test
    void plaintextLoginWithRequireTls() throws Exception {
        try (ImapProxyFixture proxy = proxy(ImapProxyFixture.Options.defaults().withCertificates(certificates)
                .withRequireTls());
             ImapTestClient client = proxy.connect()) {
            assertEquals("a1 NO [PRIVACYREQUIRED] Plaintext logins are disabled, use STARTTLS first.",
                    client.command("a1", "LOGIN user01 secret01"));
            assertTrue(proxy.backend.connections.isEmpty());
        }
    }

    @Test
    void failedLoginClosesBackendConnection() throws Exception {
        try (ImapProxyFixture proxy = proxy(); ImapTestClient client = proxy.connect()) {
            client.command("a1", "LOGIN user01 wrong");

            assertTrue(proxy.backend.lastConnection().awaitClose());
        }
    }

    @Test
    void unavailableReplyRelayed() throws Exception {
        try (ImapProxyFixture proxy = proxy(); ImapTestClient client = proxy.connect()) {
            proxy.backend.loginFailure = "NO [UNAVAILABLE] Maintenance, try later.";

            assertEquals("a1 NO [UNAVAILABLE] Maintenance, try later.", client.command("a1", "LOGIN user01 wrong"));
        }
    }

    @Test
    void failedLoginsCountTowardsLimit() throws Exception {
        try (ImapProxyFixture proxy = proxy(ImapProxyFixture.Options.defaults().withMaxBadCommands(2));
             ImapTestClient client = proxy.connect()) {
            client.command("a1", "LOGIN user01 wrong");
            client.command("a2", "LOGIN user01 wrong");
            client.send("a3 LOGIN user01 wrong\r\n");

            assertEquals(List.of("a3 NO [AUTHENTICATIONFAILED] Authentication failed.", "* BYE Too many failed logins."),
                    List.of(client.readLine(), client.readLine()));
            assertTrue(client.closedByServer());
        }
    }

    @Test
    void tooManyBadCommands() throws Exception {
        try (ImapProxyFixture proxy = proxy(ImapProxyFixture.Options.defaults().withMaxBadCommands(2));
             ImapTestClient client = proxy.connect()) {
            client.send("a1 FOO\r\na2 FOO\r\na3 FOO\r\n");

            assertEquals(List.of("a1 BAD Command FOO is unknown or not allowed before login.",
                    "a2 BAD Command FOO is unknown or not allowed before login.", "* BYE Too many invalid commands."),
                    List.of(client.readLine(), client.readLine(), client.readLine()));
            assertTrue(client.closedByServer());
        }
    }

    @Test
    void tooLongCommandCloses() throws Exception {
        try (ImapProxyFixture proxy = proxy(ImapProxyFixture.Options.defaults().withMaxLine(1024));
             ImapTestClient client = proxy.connect()) {
            client.send("a1 LOGIN " + "x".repeat(2000) + " secret01\r\n");

            assertEquals("* BYE Command longer than 1024 bytes, disconnecting.", client.readLine());
            assertTrue(client.closedByServer());
        }
    }

    @Test
    void preloginTimeoutCloses() throws Exception {
        try (ImapProxyFixture proxy = proxy(ImapProxyFixture.Options.defaults()
                .withPreloginTimeout(Duration.ofMillis(300)));
             ImapTestClient client = proxy.connect()) {
            assertEquals("* BYE Disconnected for inactivity.", client.readLine());
            assertTrue(client.closedByServer());
        }
    }

    // --- STARTTLS -----------------------------------------------------------------------------

    @Test
    void starttlsDropsPipelinedCommand() throws Exception {
        try (ImapProxyFixture proxy = proxy(ImapProxyFixture.Options.defaults().withCertificates(certificates));
             ImapTestClient client = proxy.connect()) {
            client.send("a1 STARTTLS\r\na2 NOOP\r\n");
            assertEquals("a1 OK Begin TLS negotiation now.", client.readLine());
            client.startTls(certificates.clientContext());

            client.send("a3 NOOP\r\n");

            assertEquals("a3 OK NOOP completed.", client.readLine());
        }
    }

    @Test
    void capabilitiesAfterStarttls() throws Exception {
        try (ImapProxyFixture proxy = proxy(ImapProxyFixture.Options.defaults().withCertificates(certificates)
                .withRequireTls());
             ImapTestClient client = proxy.connect()) {
            client.command("a1", "STARTTLS");
            client.startTls(certificates.clientContext());

            client.send("a2 CAPABILITY\r\n");

            assertEquals("* CAPABILITY IMAP4rev1 SASL-IR LITERAL+ ID AUTH=PLAIN", client.readUntilTagged("a2").get(0));
        }
    }

    @Test
    void loginAfterStarttls() throws Exception {
        try (ImapProxyFixture proxy = proxy(ImapProxyFixture.Options.defaults().withCertificates(certificates)
                .withRequireTls());
             ImapTestClient client = proxy.connect()) {
            client.command("a1", "STARTTLS");
            client.startTls(certificates.clientContext());

            assertEquals("a2 BAD TLS is already active.", client.command("a2", "STARTTLS"));
            assertEquals("a3 " + FakeImapBackend.LOGGED_IN, client.command("a3", "LOGIN user01 secret01"));
        }
    }

    // --- What the backend receives ------------------------------------------------------------

    @Test
    void idForwardsClientAddressNotClientClaims() throws Exception {
        try (ImapProxyFixture proxy = proxy(); ImapTestClient client = proxy.connect()) {
            client.command("a0", "ID (\"name\" \"Outlook\" \"x-originating-ip\" \"6.6.6.6\" \"version\" NIL)");
            client.command("a1", "LOGIN user01 secret01");

            Map<String, String> id = pairs(proxy.backend.lastConnection().idArgs);
            assertEquals("Outlook", id.get("name"));
            assertEquals("NIL", id.get("version"));
            assertEquals("127.0.0.1", id.get("x-originating-ip"));
            assertEquals(Integer.toString(client.localPort()), id.get("x-originating-port"));
            assertEquals("127.0.0.1", id.get("x-connected-ip"));
            assertEquals(Integer.toString(proxy.imapPort()), id.get("x-connected-port"));
            assertTrue(id.get("x-session-ext-id").startsWith("imap-"), id.get("x-session-ext-id"));
            assertEquals(14, ((ImapArg.ParenList) proxy.backend.lastConnection().idArgs.get(0)).items().size());
        }
    }

    // Keys in order; with the item count, a repeated key shows up as a missing pair.
    private static Map<String, String> pairs(List<ImapArg> idArgs) {
        List<ImapArg> items = ((ImapArg.ParenList) idArgs.get(0)).items();
        Map<String, String> pairs = new LinkedHashMap<>();
        for (int i = 0; i < items.size(); i += 2) {
            byte[] value = items.get(i + 1) instanceof ImapArg.Atom ? "NIL".getBytes(StandardCharsets.US_ASCII)
                    : ImapArg.astring(items.get(i + 1));
            pairs.put(new String(ImapArg.astring(items.get(i)), StandardCharsets.UTF_8),
                    new String(value, StandardCharsets.UTF_8));
        }
        return pairs;
    }

    @Test
    void loginReencodedAsQuotedStrings() throws Exception {
        try (ImapProxyFixture proxy = proxy(); ImapTestClient client = proxy.connect()) {
            proxy.backend.capabilities = "IMAP4rev1 ID LITERAL+";
            String password = "p\" X DELETE INBOX \\";
            proxy.backend.addUser(USER, password);
            client.send("a1 LOGIN user01 {" + password.length() + "+}\r\n" + password + "\r\n");

            assertEquals(LOGGED_IN, client.tagged("a1"));
            assertEquals("L LOGIN \"user01@example.test\" \"p\\\" X DELETE INBOX \\\\\"", backendLines(proxy).get(1));
            assertEquals(2, backendLines(proxy).size());
        }
    }

    @Test
    void eightBitPasswordAsNonSynchronizingLiteral() throws Exception {
        try (ImapProxyFixture proxy = proxy(); ImapTestClient client = proxy.connect()) {
            proxy.backend.capabilities = "IMAP4rev1 ID LITERAL+";
            proxy.backend.addUser(USER, "pässwörd");
            client.send("a1 LOGIN user01 \"pässwörd\"\r\n");

            assertEquals(LOGGED_IN, client.tagged("a1"));
            assertEquals("L LOGIN \"user01@example.test\" {10+}", backendLines(proxy).get(1));
        }
    }

    @Test
    void eightBitPasswordAsSynchronizingLiteral() throws Exception {
        try (ImapProxyFixture proxy = proxy(); ImapTestClient client = proxy.connect()) {
            proxy.backend.capabilities = "IMAP4rev1 ID";
            proxy.backend.addUser(USER, "pässwörd");
            client.send("a1 LOGIN user01 \"pässwörd\"\r\n");

            assertEquals(LOGGED_IN, client.tagged("a1"));
            assertEquals("L LOGIN \"user01@example.test\" {10}", backendLines(proxy).get(1));
        }
    }

    @Test
    void saslInitialResponseWhenOffered() throws Exception {
        try (ImapProxyFixture proxy = proxy(); ImapTestClient client = proxy.connect()) {
            client.command("a1", "LOGIN user01 secret01");

            assertEquals("L AUTHENTICATE PLAIN " + plain("\0" + USER + "\0secret01"), backendLines(proxy).get(1));
        }
    }

    @Test
    void saslContinuationWithoutSaslIr() throws Exception {
        try (ImapProxyFixture proxy = proxy(); ImapTestClient client = proxy.connect()) {
            proxy.backend.capabilities = "IMAP4rev1 ID AUTH=PLAIN";

            assertEquals(LOGGED_IN, client.command("a1", "LOGIN user01 secret01"));
            assertEquals("L AUTHENTICATE PLAIN", backendLines(proxy).get(1));
        }
    }

    @Test
    void capabilityAskedWhenGreetingHasNone() throws Exception {
        try (ImapProxyFixture proxy = proxy(); ImapTestClient client = proxy.connect()) {
            proxy.backend.capabilityInGreeting = false;

            assertEquals(LOGGED_IN, client.command("a1", "LOGIN user01 secret01"));
            assertEquals("C CAPABILITY", backendLines(proxy).get(0));
        }
    }

    // Everything the backend received, split into lines.
    private static List<String> backendLines(ImapProxyFixture proxy) {
        return List.of(proxy.backend.lastConnection().received().split("\r\n"));
    }

    // --- Backend failures -------------------------------------------------------------------

    private static double logins(ImapProxyFixture proxy, String result) {
        return Samples.parse(proxy.metrics.scrape())
                .require("mailpin_logins_total{protocol=\"imap\",result=\"" + result + "\"}");
    }

    @Test
    void loginOutcomesCounted() throws Exception {
        try (ImapProxyFixture proxy = proxy(); ImapTestClient client = proxy.connect()) {
            client.command("a1", "AUTHENTICATE PLAIN not-base64");
            client.command("a2", "LOGIN user01 wrong");
            proxy.director.removeDefaultBackend();
            client.command("a3", "LOGIN user01 secret01");
            proxy.director.useBackend(ScriptedBackend.closedPort());
            client.command("a4", "LOGIN user01 secret01");
            proxy.director.useBackend(proxy.backend.port());
            client.command("a5", "LOGIN user01 secret01");

            assertEquals(1.0, logins(proxy, "rejected"));
            assertEquals(1.0, logins(proxy, "auth_failed"));
            assertEquals(1.0, logins(proxy, "no_backend"));
            assertEquals(1.0, logins(proxy, "backend_unavailable"));
            assertEquals(1.0, logins(proxy, "ok"));
        }
    }

    @Test
    void plaintextLoginWithRequireTlsCounted() throws Exception {
        try (ImapProxyFixture proxy = proxy(ImapProxyFixture.Options.defaults().withCertificates(certificates)
                .withRequireTls());
             ImapTestClient client = proxy.connect()) {
            client.command("a1", "LOGIN user01 secret01");

            assertEquals(1.0, logins(proxy, "rejected"));
        }
    }

    @Test
    void noBackendAnswersUnavailable() throws Exception {
        try (ImapProxyFixture proxy = proxy(); ImapTestClient client = proxy.connect()) {
            proxy.director.removeDefaultBackend();

            assertEquals("a1 " + ImapSession.NO_BACKEND, client.command("a1", "LOGIN user01 secret01"));
        }
    }

    @Test
    void unreachableBackendAnswersUnavailable() throws Exception {
        try (ImapProxyFixture proxy = proxy(); ImapTestClient client = proxy.connect();
             CapturedLogs logs = new CapturedLogs()) {
            int closedPort;
            try (ServerSocket unused = new ServerSocket(0)) {
                closedPort = unused.getLocalPort();
            }
            proxy.director.useBackend(closedPort);

            assertEquals("a1 " + ImapSession.UNAVAILABLE, client.command("a1", "LOGIN user01 secret01"));
            assertTrue(logs.text().contains("WARN imap login user=user01@example.test backend=be1 (127.0.0.1) failed: "
                    + "backend be1 (127.0.0.1:" + closedPort + "): Connection refused"), logs.text());
        }
    }

    @Test
    void silentBackendTimesOut() throws Exception {
        try (ImapProxyFixture proxy = proxy(ImapProxyFixture.Options.defaults()
                .withBackendTimeout(Duration.ofMillis(300)));
             ImapTestClient client = proxy.connect(); CapturedLogs logs = new CapturedLogs()) {
            proxy.backend.silent = true;

            assertEquals("a1 " + ImapSession.UNAVAILABLE, client.command("a1", "LOGIN user01 secret01"));
            assertTrue(logs.text().contains("failed: no reply within 300 ms"), logs.text());
        }
    }

    @Test
    void backendWithLoginDisabledAnswersUnavailable() throws Exception {
        try (ImapProxyFixture proxy = proxy(); ImapTestClient client = proxy.connect();
             CapturedLogs logs = new CapturedLogs()) {
            proxy.backend.capabilities = "IMAP4rev1 ID LOGINDISABLED";

            assertEquals("a1 " + ImapSession.UNAVAILABLE, client.command("a1", "LOGIN user01 secret01"));
            assertTrue(logs.text().contains("advertises LOGINDISABLED"), logs.text());
        }
    }

    // --- Logs and shutdown ------------------------------------------------------------------

    @Test
    void logsNeverShowCredentials() throws Exception {
        String initialResponse = plain("\0" + USER + "\0secret01");
        try (ImapProxyFixture proxy = proxy(); CapturedLogs logs = new CapturedLogs()) {
            try (ImapTestClient client = proxy.connect()) {
                client.command("a1", "LOGIN user01 wrongpass7");
                client.command("a2", "AUTHENTICATE PLAIN " + plain("\0" + USER + "\0otherpass8"));
                client.send("a3 LOGIN {19}\r\n");
                client.readLine();
                client.send(USER + " {6}\r\n");
                client.readLine();
                client.send("badpw9\r\n");
                client.tagged("a3");
                client.command("a4", "AUTHENTICATE PLAIN " + initialResponse);
                client.command("b1", "NOOP");
            }

            String text = logs.text();
            for (String secret : List.of("wrongpass7", "otherpass8", "badpw9", "secret01", initialResponse)) {
                assertFalse(text.contains(secret), "log shows " + secret + ":\n" + text);
            }
            assertTrue(text.contains("INFO imap login user=user01@example.test backend=be1 (127.0.0.1) client=127.0.0.1"),
                    text);
        }
    }

    @Test
    void loginLogLineCarriesUserInMdc() throws Exception {
        try (ImapProxyFixture proxy = proxy(); CapturedLogs logs = new CapturedLogs();
             ImapTestClient client = proxy.connect()) {
            client.command("a1", "LOGIN user01 secret01");
            client.command("b1", "NOOP");

            String line = logs.text().lines().filter(l -> l.startsWith("INFO imap login user=")).findFirst().orElse("");
            String mdc = line.substring(line.lastIndexOf('{'));
            assertTrue(mdc.contains("user=user01@example.test"), line);
        }
    }

    @Test
    void shutdownSendsBye() throws Exception {
        try (ImapProxyFixture proxy = proxy(); ImapTestClient client = proxy.connect()) {
            client.command("a1", "NOOP");

            proxy.server.close();

            assertEquals("* BYE Server shutting down.", client.readLine());
            assertTrue(client.closedByServer());
        }
    }

    @Test
    void shutdownClosesRelayedConnection() throws Exception {
        try (ImapProxyFixture proxy = proxy(); ImapTestClient client = proxy.connect()) {
            client.command("a1", "LOGIN user01 secret01");
            client.command("b1", "NOOP");

            proxy.server.close();

            assertTrue(client.closedByServer());
        }
    }
}
