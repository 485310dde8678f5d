package org.mailpin.gateway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailpin.gateway.doctor.FakeBackend;
import org.mailpin.gateway.doctor.FakeBackend.Inbox;
import org.mailpin.gateway.mail.ScriptedBackend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

class DoctorCommandTest {

    private static final Inbox INBOX = new Inbox(1712345678L, 3, null);
    private static final String PASSWORD = "secret01";

    @TempDir
    Path folder;

    @BeforeEach
    void writeSecret() throws IOException {
        Files.writeString(folder.resolve("secret"), "test-secret-0123456789abcdefghijklmnopqrstuvwxyz\n");
    }

    @Test
    void agreeingBackendsExitZero() throws Exception {
        try (ScriptedBackend be1 = imap("127.0.0.1", FakeBackend.imapAccepted(INBOX));
             ScriptedBackend be2 = imap("127.0.0.2", FakeBackend.imapAccepted(INBOX))) {

            CommandRun run = doctor(config(be1, be2), PASSWORD + "\n", "--user", "user01@example.test");

            assertEquals(0, run.exitCode(), run.out() + run.err());
            assertTrue(run.out().contains("Verdict: All 2 backends accept the login and show the same INBOX "
                    + "(UIDVALIDITY 1712345678, 3 messages, no quota)."), run.out());
            assertTrue(run.out().contains("BACKEND  ADDRESS    SERVICE  PORT"), run.out());
        }
    }

    @Test
    void rejectingBackendExitsOne() throws Exception {
        try (ScriptedBackend be1 = imap("127.0.0.1", FakeBackend.imapAccepted(INBOX));
             ScriptedBackend be2 = imap("127.0.0.2", FakeBackend.IMAP_REJECTED)) {

            CommandRun run = doctor(config(be1, be2), PASSWORD + "\n", "--user", "user01@example.test");

            assertEquals(1, run.exitCode(), run.out() + run.err());
            assertTrue(run.out().contains("be2 rejects the imap login that be1 accepted; check be2's passdb and "
                    + "userdb for this user. be2 replied: NO [AUTHENTICATIONFAILED] Authentication failed.\n"), run.out());
            assertTrue(run.out().contains("Verdict: be2 differs from the other backends"), run.out());
        }
    }

    @Test
    void allBackendsRejectingNameNone() throws Exception {
        try (ScriptedBackend be1 = imap("127.0.0.1", FakeBackend.IMAP_REJECTED);
             ScriptedBackend be2 = imap("127.0.0.2", FakeBackend.IMAP_REJECTED)) {

            CommandRun run = doctor(config(be1, be2), "wrong-password\n", "--user", "user01@example.test");

            assertEquals(1, run.exitCode(), run.out() + run.err());
            assertTrue(run.out().contains("Verdict: Every backend rejects the imap login of user01@example.test "
                    + "(1 problem above): the password is wrong, the user is unknown, or the passdb the backends share "
                    + "has a problem. No backend differs from the others"), run.out());
            assertFalse(run.out().contains("differ from the other backends"), run.out());
            assertFalse(run.out().contains("differs from the other backends"), run.out());
            assertFalse(run.out().contains("The backends disagree"), run.out());
        }
    }

    @Test
    void jsonQuotesRejection() throws Exception {
        try (ScriptedBackend be1 = imap("127.0.0.1", FakeBackend.imapAccepted(INBOX));
             ScriptedBackend be2 = imap("127.0.0.2", FakeBackend.IMAP_REJECTED)) {

            CommandRun run = doctor(config(be1, be2), PASSWORD + "\n", "--json", "--user", "user01@example.test");

            JsonNode report = new ObjectMapper().readTree(run.out());
            assertEquals(1, run.exitCode(), run.err());
            assertFalse(report.get("agree").asBoolean());
            assertEquals("user01@example.test", report.get("user").asText());
            assertEquals("rejected", report.at("/backends/1/services/0/status").asText());
            assertEquals(FakeBackend.IMAP_REJECTED, report.at("/backends/1/services/0/reply").asText());
            assertEquals(1712345678L, report.at("/backends/0/services/0/inbox/uidValidity").asLong());
            assertEquals("be2", report.at("/findings/0/backend").asText());
        }
    }

    @Test
    void userNormalizedLikeGateway() throws Exception {
        try (ScriptedBackend be1 = imap("127.0.0.1", FakeBackend.imapAccepted(INBOX));
             ScriptedBackend be2 = imap("127.0.0.2", FakeBackend.imapAccepted(INBOX))) {

            CommandRun run = doctor(config(be1, be2), PASSWORD + "\n", "--user", "User01");

            assertEquals(0, run.exitCode(), run.out() + run.err());
            assertTrue(be1.received.stream().anyMatch(l -> l.contains("LOGIN user01@example.test ")), be1.received.toString());
            assertTrue(run.out().startsWith("User user01@example.test,"), run.out());
        }
    }

    @Test
    void passwordNeverPrinted() throws Exception {
        try (ScriptedBackend be1 = imap("127.0.0.1", FakeBackend.imapAccepted(INBOX));
             ScriptedBackend be2 = imap("127.0.0.2", FakeBackend.IMAP_REJECTED)) {

            CommandRun text = doctor(config(be1, be2), PASSWORD + "\n", "--user", "user01@example.test");
            CommandRun json = doctor(config(be1, be2), PASSWORD + "\n", "--json", "--user", "user01@example.test");

            assertFalse((text.out() + text.err()).contains(PASSWORD), text.out() + text.err());
            assertFalse((json.out() + json.err()).contains(PASSWORD), json.out() + json.err());
        }
    }

    @Test
    void ringChoicePrinted() throws Exception {
        try (ScriptedBackend be1 = imap("127.0.0.1", FakeBackend.imapAccepted(INBOX));
             ScriptedBackend be2 = imap("127.0.0.2", FakeBackend.imapAccepted(INBOX))) {

            CommandRun run = doctor(config(be1, be2), PASSWORD + "\n", "--json", "--user", "user01@example.test");

            String expected = org.mailpin.director.ring.DovecotRing.of(java.util.List.of(
                            new org.mailpin.director.Backend("be1", "127.0.0.1", 100, "",
                                    org.mailpin.director.BackendPorts.DEFAULTS, null, true),
                            new org.mailpin.director.Backend("be2", "127.0.0.2", 100, "",
                                    org.mailpin.director.BackendPorts.DEFAULTS, null, true)))
                    .lookup("user01@example.test").orElseThrow().id();
            assertEquals(expected, new ObjectMapper().readTree(run.out()).at("/ringChoice/id").asText());
        }
    }

    @Test
    void noTerminalWithoutPasswordStdin() throws Exception {
        Path config = Files.writeString(folder.resolve("gateway.yaml"), yaml(143, 143));

        CommandRun run = CommandRun.execute("doctor", "--config", config.toString(), "--user", "user01");

        assertEquals(64, run.exitCode());
        assertTrue(run.err().contains("no terminal to ask for the password on; pass it on standard input with "
                + "--password-stdin"), run.err());
    }

    @Test
    void emptyStdinRejected() throws Exception {
        Path config = Files.writeString(folder.resolve("gateway.yaml"), yaml(143, 143));

        CommandRun run = doctor(config, "", "--user", "user01");

        assertEquals(64, run.exitCode());
        assertTrue(run.err().contains("missing password: standard input is empty"), run.err());
    }

    @Test
    void timeoutOutOfRangeRejected() throws Exception {
        Path config = Files.writeString(folder.resolve("gateway.yaml"), yaml(143, 143));

        CommandRun run = doctor(config, PASSWORD + "\n", "--timeout", "0s", "--user", "user01");

        assertEquals(64, run.exitCode());
        assertTrue(run.err().contains("--timeout: 0s is out of range; expected 1s to 10m"), run.err());
    }

    @Test
    void configPathOptionFirst() {
        Path option = Path.of("/srv/gateway.yaml");

        assertEquals(option, DoctorCommand.configPath(option, Map.of("MAILPIN_CONFIG", "/tmp/other.yaml")));
    }

    @Test
    void configPathFromEnvironment() {
        assertEquals(Path.of("/tmp/other.yaml"), DoctorCommand.configPath(null, Map.of("MAILPIN_CONFIG", "/tmp/other.yaml")));
    }

    @Test
    void configPathDefault() {
        assertEquals(Path.of(AdminOptions.DEFAULT_CONFIG), DoctorCommand.configPath(null, Map.of()));
        assertEquals(Path.of(AdminOptions.DEFAULT_CONFIG), DoctorCommand.configPath(null, Map.of("MAILPIN_CONFIG", " ")));
    }

    @Test
    void missingDefaultConfigExplained() throws Exception {
        Path expected = DoctorCommand.configPath(null, System.getenv());
        assumeFalse(Files.exists(expected), expected + " exists on this machine");

        CommandRun run;
        InputStream original = System.in;
        try {
            System.setIn(new ByteArrayInputStream((PASSWORD + "\n").getBytes(StandardCharsets.UTF_8)));
            run = CommandRun.execute("doctor", "--password-stdin", "--user", "user01");
        } finally {
            System.setIn(original);
        }

        assertEquals(78, run.exitCode(), run.out() + run.err());
        assertTrue(run.err().startsWith("mailpin: config error: config file " + expected + " not found\n"), run.err());
        String variable = System.getenv("MAILPIN_CONFIG");
        String source = variable == null || variable.isBlank()
                ? "the default " + expected + " because neither --config nor MAILPIN_CONFIG is set"
                : expected + " from MAILPIN_CONFIG";
        String hint = "mailpin: doctor used " + source + "; pass --config FILE to use another config "
                + "(the demo's is /tmp/mailpin-demo/gateway.yaml)\n";
        assertTrue(run.err().contains(hint), run.err());
    }

    @Test
    void helpListsExitCodes() {
        CommandRun run = CommandRun.execute("doctor", "--help");

        String help = run.out().replaceAll("\\s+", " ");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(help.contains("Exit code 0: all agree; 1: a backend differs, rejects or cannot be reached, or every "
                + "backend rejects the login; 64: usage error; 78: invalid config."), run.out());
        assertTrue(help.contains("(default: $MAILPIN_CONFIG, else " + AdminOptions.DEFAULT_CONFIG + ")"), run.out());
        assertTrue(help.contains("(default: 30s)"), run.out());
    }

    @Test
    void configErrorExits78() throws Exception {
        Path config = Files.writeString(folder.resolve("gateway.yaml"), yaml(143, 143).replace("vhosts: 100", "vhosts: x"));

        CommandRun run = doctor(config, PASSWORD + "\n", "--user", "user01");

        assertEquals(78, run.exitCode());
        assertTrue(run.err().startsWith("mailpin: config error: " + config + " line "), run.err());
    }

    private static ScriptedBackend imap(String address, String loginReply) throws IOException {
        return new ScriptedBackend(InetAddress.getByName(address), FakeBackend.imap(loginReply, INBOX));
    }

    private Path config(ScriptedBackend be1, ScriptedBackend be2) throws IOException {
        return Files.writeString(folder.resolve("gateway.yaml"), yaml(be1.port(), be2.port()));
    }

    // POP3, ManageSieve and the other ports are 0, so only the scripted IMAP servers are contacted.
    // The admin token file does not exist, so doctor does not look for a running gateway.
    private static String yaml(int be1ImapPort, int be2ImapPort) {
        return """
                director:
                  username:
                    default-domain: example.test
                backends:
                  - id: be1
                    address: 127.0.0.1
                    vhosts: 100
                    imap-port: %d
                    pop3-port: 0
                    lmtp-port: 0
                    sieve-port: 0
                    submission-port: 0
                  - id: be2
                    address: 127.0.0.2
                    imap-port: %d
                    pop3-port: 0
                    lmtp-port: 0
                    sieve-port: 0
                    submission-port: 0
                web:
                  secret-file: secret
                  roundcube:
                    - id: rc1
                      url: http://127.0.0.21:8081/
                admin:
                  token-file: absent-admin-token
                """.formatted(be1ImapPort, be2ImapPort);
    }

    /** Runs doctor with {@code stdin} as standard input and {@code --password-stdin}. */
    private static CommandRun doctor(Path config, String stdin, String... args) {
        String[] all = new String[args.length + 4];
        all[0] = "doctor";
        all[1] = "--config";
        all[2] = config.toString();
        all[3] = "--password-stdin";
        System.arraycopy(args, 0, all, 4, args.length);
        InputStream original = System.in;
        try {
            System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
            return CommandRun.execute(all);
        } finally {
            System.setIn(original);
        }
    }
}
