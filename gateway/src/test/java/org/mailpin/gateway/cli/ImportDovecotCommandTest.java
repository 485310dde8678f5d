package org.mailpin.gateway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailpin.director.Backend;
import org.mailpin.director.BackendPorts;
import org.mailpin.director.UsernameNormalizer;
import org.mailpin.director.ring.DovecotRing;
import org.mailpin.gateway.config.ConfigLoader;
import org.mailpin.gateway.config.GatewayConfig;
import org.mailpin.gateway.mail.Protocol;

/** Imports Dovecot director configurations and loads the result as the gateway would. */
class ImportDovecotCommandTest {

    private static final String DIRECTOR1 = "/dovecot/director1-10-director.conf";
    /** Enough users that every backend gets many, so a ring difference would show. */
    private static final int USERS = 2000;

    @TempDir
    Path folder;

    @Test
    void director1ImportLoads() throws IOException {
        Path output = folder.resolve("gateway.yaml");

        CommandRun run = CommandRun.execute("import-dovecot", resource(DIRECTOR1).toString(), "--output", output.toString());

        assertEquals(0, run.exitCode(), run.err());
        assertEquals("", run.out());
        GatewayConfig config = ConfigLoader.load(output);
        assertEquals(List.of("be1 127.0.0.11 100", "be2 127.0.0.12 100"),
                config.backends().stream().map(b -> b.id() + " " + b.address() + " " + b.vhosts()).toList());
        assertEquals(Duration.ofHours(1), config.director().userExpire());
        assertEquals(List.of("127.0.0.10:5701"), config.cluster().members());
        assertEquals("127.0.0.10", config.cluster().bindAddress());
        assertEquals(List.of(Protocol.IMAP, Protocol.POP3, Protocol.LMTP),
                config.mail().listeners().stream().map(l -> l.protocol()).toList());
    }

    @Test
    void director1RingMatchesDovecotDefaults() throws IOException {
        Path output = folder.resolve("gateway.yaml");
        CommandRun run = CommandRun.execute("import-dovecot", resource(DIRECTOR1).toString(), "--output", output.toString());
        GatewayConfig config = ConfigLoader.load(output);
        // director_mail_servers = 127.0.0.11 127.0.0.12, each with Dovecot's default of 100 vhosts.
        DovecotRing dovecot = DovecotRing.of(List.of(backend("127.0.0.11"), backend("127.0.0.12")));
        DovecotRing imported = DovecotRing.of(config.backends());
        UsernameNormalizer normalizer = new UsernameNormalizer(config.director().lowercase(),
                config.director().defaultDomain(), config.director().hashFormat());

        List<String> differing = new ArrayList<>();
        int onFirst = 0;
        for (int i = 1; i <= USERS; i++) {
            String key = normalizer.ringKey(normalizer.normalize("user" + i + "@example.test"));
            String expected = dovecot.lookup(key).orElseThrow().address();
            String actual = imported.lookup(key).orElseThrow().address();
            if (!expected.equals(actual)) {
                differing.add(key);
            }
            onFirst += expected.equals("127.0.0.11") ? 1 : 0;
        }

        assertEquals(0, run.exitCode(), run.err());
        assertEquals(List.of(), differing);
        assertTrue(onFirst > USERS / 4, "users on 127.0.0.11: " + onFirst);
        assertTrue(onFirst < USERS * 3 / 4, "users on 127.0.0.11: " + onFirst);
    }

    @Test
    void checkConfigFailsOnlyOnPlaceholders() throws IOException {
        Path output = folder.resolve("gateway.yaml");
        CommandRun.execute("import-dovecot", resource(DIRECTOR1).toString(), "--output", output.toString());

        CommandRun before = CommandRun.execute("check-config", output.toString());
        Files.writeString(folder.resolve("PLACEHOLDER-web-secret"), "test-secret-0123456789abcdefghijklmnopqrstuvwxyz\n");
        Files.writeString(folder.resolve("PLACEHOLDER-admin-token"), "admin-token-0123456789\n");
        CommandRun after = CommandRun.execute("check-config", output.toString());

        assertEquals(78, before.exitCode());
        assertTrue(before.err().contains("web.secret-file: " + folder.resolve("PLACEHOLDER-web-secret") + " not found"),
                before.err());
        assertEquals(0, after.exitCode(), after.err());
        assertTrue(after.err().contains("still has the placeholder URL"), after.err());
    }

    @Test
    void notesOnStderrAndInHeader() throws IOException {
        Path output = folder.resolve("gateway.yaml");

        CommandRun run = CommandRun.execute("import-dovecot", resource(DIRECTOR1).toString(), "--output", output.toString());

        String yaml = Files.readString(output);
        assertTrue(run.err().contains("mailpin: to do: line 34: lmtp_proxy = yes: "), run.err());
        assertTrue(run.err().contains("mailpin: warning: not translated: line 26: service imap-login inet_listener imaps"),
                run.err());
        assertTrue(run.err().contains("mailpin: not needed: line 48: passdb { driver = static, args = proxy=y nopassword=y }"),
                run.err());
        assertTrue(run.err().endsWith("mailpin: wrote " + output + ": 2 backends, 1 cluster member, 3 mail listeners; "
                + "the notes above are also at the top of the config\n"), run.err());
        assertTrue(yaml.contains("#   - line 34: lmtp_proxy = yes: "), yaml);
        assertTrue(yaml.contains("# Not needed with Mailpin:\n#   - line 6: service director unix_listener login/director"),
                yaml);
    }

    @Test
    void stdoutWithoutOutputOption() throws IOException {
        CommandRun run = CommandRun.execute("import-dovecot", resource(DIRECTOR1).toString());

        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("backends:\n  - id: be1\n    address: 127.0.0.11\n    vhosts: 100\n"), run.out());
    }

    @Test
    void hostNamesNeedAddresses() throws IOException {
        Path conf = Files.writeString(folder.resolve("director.conf"), "director_mail_servers = backend1 backend2\n");
        Path output = folder.resolve("gateway.yaml");

        CommandRun missing = CommandRun.execute("import-dovecot", conf.toString(), "--output", output.toString());
        CommandRun mapped = CommandRun.execute("import-dovecot", conf.toString(), "--output", output.toString(),
                "--host", "backend1=127.0.0.11", "--host", "BACKEND2=127.0.0.12");

        assertEquals(78, missing.exitCode());
        assertTrue(missing.err().startsWith("mailpin: import failed: " + conf + " line 1: director_mail_servers: host name "
                + "'backend1' in 'backend1' has no address;"), missing.err());
        assertEquals(0, mapped.exitCode(), mapped.err());
        assertEquals(List.of("127.0.0.11", "127.0.0.12"),
                ConfigLoader.load(output).backends().stream().map(Backend::address).toList());
    }

    @Test
    void existingOutputKeptWithoutForce() throws IOException {
        Path output = Files.writeString(folder.resolve("gateway.yaml"), "keep me\n");

        CommandRun refused = CommandRun.execute("import-dovecot", resource(DIRECTOR1).toString(), "--output", output.toString());
        String kept = Files.readString(output);
        CommandRun forced = CommandRun.execute("import-dovecot", resource(DIRECTOR1).toString(), "--output",
                output.toString(), "--force");

        assertEquals(73, refused.exitCode());
        assertEquals("mailpin: " + output + " exists; choose another --output or add --force\n", refused.err());
        assertEquals("keep me\n", kept);
        assertEquals(0, forced.exitCode(), forced.err());
    }

    @Test
    void badValueExits78AndWritesNothing() throws IOException {
        Path conf = Files.writeString(folder.resolve("director.conf"),
                "director_mail_servers = 10.0.0.1\ndirector_user_expire = 1.5h\n");
        Path output = folder.resolve("gateway.yaml");

        CommandRun run = CommandRun.execute("import-dovecot", conf.toString(), "--output", output.toString());

        assertEquals(78, run.exitCode());
        assertEquals("mailpin: import failed: " + conf + " line 2: director_user_expire: invalid time interval '1.5h'; "
                + "expected a whole number and a unit, e.g. 60 min, 1h or 2 days\n", run.err());
        assertTrue(Files.notExists(output));
    }

    @Test
    void missingFileExits78() {
        Path conf = folder.resolve("absent.conf");

        CommandRun run = CommandRun.execute("import-dovecot", conf.toString());

        assertEquals(78, run.exitCode());
        assertEquals("mailpin: import failed: " + conf + " not found\n", run.err());
    }

    @Test
    void helpListsExitCodes() {
        CommandRun run = CommandRun.execute("import-dovecot", "--help");

        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().replaceAll("\\s+", " ").contains("Exit code 0: written; 64: usage error; 73: OUT cannot "
                + "be written; 78: FILE cannot be read or has a bad value, nothing written."), run.out());
    }

    @Test
    void badHostOptionRejected() {
        CommandRun run = CommandRun.execute("import-dovecot", "x.conf", "--host", "backend1");

        assertEquals(64, run.exitCode());
        assertTrue(run.err().contains("invalid --host 'backend1'; expected NAME=IP[,IP...], e.g. backend1=10.0.0.11"),
                run.err());
    }

    @Test
    void rangesAndTagsLoad() throws IOException {
        Path conf = Files.writeString(folder.resolve("director.conf"), """
                director_servers = 10.0.0.1 10.0.0.2
                director_mail_servers = 10.0.0.11-10.0.0.13@pool1 10.0.0.21
                director_username_hash = %Ln
                service director {
                  inet_listener {
                    address = 10.0.0.2
                    port = 9090
                  }
                }
                """);
        Path output = folder.resolve("gateway.yaml");

        CommandRun run = CommandRun.execute("import-dovecot", conf.toString(), "--output", output.toString());

        GatewayConfig config = ConfigLoader.load(output);
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(List.of("be1 10.0.0.11 pool1", "be2 10.0.0.12 pool1", "be3 10.0.0.13 pool1", "be4 10.0.0.21 "),
                config.backends().stream().map(b -> b.id() + " " + b.address() + " " + b.tag()).toList());
        assertEquals("%Ln", config.director().hashFormat());
        assertEquals("10.0.0.2", config.cluster().bindAddress());
        assertEquals(List.of("10.0.0.1:5701", "10.0.0.2:5701"), config.cluster().members());
    }

    private static Backend backend(String address) {
        return new Backend(address, address, 100, "", BackendPorts.DEFAULTS, null, true);
    }

    private Path resource(String name) throws IOException {
        Path file = folder.resolve(Path.of(name).getFileName().toString());
        try (InputStream in = ImportDovecotCommandTest.class.getResourceAsStream(name)) {
            Files.copy(in, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        return file;
    }
}
