package org.mailpin.gateway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckConfigCommandTest {

    private static final String CONFIG = """
            backends:
              - id: be1
                address: 127.0.0.11
                webmail: rc1
              - id: be2
                address: 127.0.0.12
                vhosts: 100
            web:
              secret-file: secret
              roundcube:
                - id: rc1
                  url: http://127.0.0.21:8081/
            admin:
              token-file: admin-token
            """;

    @TempDir
    Path folder;

    @BeforeEach
    void writeSecrets() throws IOException {
        Files.writeString(folder.resolve("secret"), "test-secret-0123456789abcdefghijklmnopqrstuvwxyz\n");
        Files.writeString(folder.resolve("admin-token"), "admin-token-0123456789\n");
    }

    @Test
    void validConfigPasses() throws IOException {
        Path file = Files.writeString(folder.resolve("gateway.yaml"), CONFIG);

        CommandRun run = CommandRun.execute("check-config", file.toString());

        assertEquals(0, run.exitCode(), run.err());
        assertEquals(file + ": OK (2 backends, 1 Roundcube instance)", run.out().strip());
    }

    @Test
    void badValueExitsWithConfigCode() throws IOException {
        Path file = Files.writeString(folder.resolve("gateway.yaml"), CONFIG.replace("vhosts: 100", "vhosts: 2000"));

        CommandRun run = CommandRun.execute("check-config", file.toString());

        assertEquals(78, run.exitCode());
        assertTrue(run.err().startsWith("mailpin: config error: " + file + " line 7, key backends[1].vhosts: "),
                run.err());
        assertEquals("", run.out());
    }

    @Test
    void missingProbePasswordRejected() throws IOException {
        Path file = Files.writeString(folder.resolve("gateway.yaml"), CONFIG
                + "health:\n  probe-user: probe@example.test\n  probe-password-file: probe-password\n");

        CommandRun run = CommandRun.execute("check-config", file.toString());

        assertEquals(78, run.exitCode());
        assertEquals("mailpin: config error: health.probe-password-file: " + folder.resolve("probe-password")
                + " not found; create it with the secret in it", run.err().strip());
    }

    @Test
    void invalidYamlExitsWithConfigCode() throws IOException {
        Path file = Files.writeString(folder.resolve("gateway.yaml"), "backends: [unclosed\n");

        CommandRun run = CommandRun.execute("check-config", file.toString());

        assertEquals(78, run.exitCode());
        assertTrue(run.err().contains(file + " line 1: invalid YAML"), run.err());
    }

    @Test
    void missingConfigFileExitsWithConfigCode() {
        Path file = folder.resolve("absent.yaml");

        CommandRun run = CommandRun.execute("check-config", file.toString());

        assertEquals(78, run.exitCode());
        assertTrue(run.err().contains("config file " + file + " not found"), run.err());
    }

    @Test
    void missingSecretFileExitsWithConfigCode() throws IOException {
        Path file = Files.writeString(folder.resolve("gateway.yaml"), CONFIG);
        Files.delete(folder.resolve("secret"));

        CommandRun run = CommandRun.execute("check-config", file.toString());

        assertEquals(78, run.exitCode());
        assertTrue(run.err().contains("web.secret-file: " + folder.resolve("secret") + " not found"), run.err());
    }

    @Test
    void emptyTokenFileExitsWithConfigCode() throws IOException {
        Path file = Files.writeString(folder.resolve("gateway.yaml"), CONFIG);
        Files.writeString(folder.resolve("admin-token"), " \n");

        CommandRun run = CommandRun.execute("check-config", file.toString());

        assertEquals(78, run.exitCode());
        assertTrue(run.err().contains("admin.token-file: the file " + folder.resolve("admin-token") + " is empty"),
                run.err());
    }
}
