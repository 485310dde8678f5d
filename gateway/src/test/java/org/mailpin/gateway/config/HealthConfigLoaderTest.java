package org.mailpin.gateway.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailpin.gateway.health.HealthSettings;
import org.mailpin.gateway.health.ProbeProtocol;

class HealthConfigLoaderTest {

    /** The required keys only; lines 1 to 10. */
    private static final String MINIMAL = """
            backends:
              - id: be1
                address: 127.0.0.11
            web:
              secret-file: /etc/mailpin/secret
              roundcube:
                - id: rc1
                  url: http://127.0.0.21:8081/
            admin:
              token-file: /etc/mailpin/admin-token
            """;

    @TempDir
    Path folder;

    @Test
    void defaultsWithoutSection() throws IOException {
        HealthSettings health = load(MINIMAL);

        assertTrue(health.enabled());
        assertEquals(Duration.ofSeconds(5), health.interval());
        assertEquals(Duration.ofSeconds(3), health.timeout());
        assertEquals(2, health.rise());
        assertEquals(3, health.fall());
        assertEquals(Set.of(), health.protocols());
        assertTrue(health.webmail());
        assertNull(health.probeUser());
        assertNull(health.probePasswordFile());
    }

    @Test
    void defaultsProbeEveryProtocol() throws IOException {
        HealthSettings health = load(MINIMAL);

        for (ProbeProtocol protocol : ProbeProtocol.values()) {
            assertTrue(health.probes(protocol), protocol.label());
        }
    }

    @Test
    void sectionLoads() throws IOException {
        HealthSettings health = load(MINIMAL + """
                health:
                  enabled: false
                  interval: 2s
                  timeout: 1500ms
                  rise: 4
                  fall: 1
                  protocols: [imap, lmtp]
                  webmail: false
                  probe-user: probe@example.test
                  probe-password-file: probe-password
                """);

        assertFalse(health.enabled());
        assertEquals(Duration.ofSeconds(2), health.interval());
        assertEquals(Duration.ofMillis(1500), health.timeout());
        assertEquals(4, health.rise());
        assertEquals(1, health.fall());
        assertEquals(Set.of(ProbeProtocol.IMAP, ProbeProtocol.LMTP), health.protocols());
        assertFalse(health.probes(ProbeProtocol.POP3));
        assertFalse(health.webmail());
        assertEquals("probe@example.test", health.probeUser());
        assertEquals(folder.toAbsolutePath().resolve("probe-password"), health.probePasswordFile());
    }

    @Test
    void probesUseMailSourceAddress() throws IOException {
        HealthSettings health = load(MINIMAL + "mail:\n  source-address: 127.0.0.5\n");

        assertEquals("127.0.0.5", health.sourceAddress());
    }

    @Test
    void unknownProtocolRejected() throws IOException {
        String message = error(MINIMAL + "health:\n  protocols: [imap, imaps]\n");

        assertEquals(configFile() + " line 12, key health.protocols: unknown protocol 'imaps': "
                + "expected imap, pop3, sieve, submission or lmtp", message);
    }

    @Test
    void duplicateProtocolRejected() throws IOException {
        String message = error(MINIMAL + "health:\n  protocols: [imap, IMAP]\n");

        assertTrue(message.endsWith("key health.protocols: duplicate entry 'IMAP'"), message);
    }

    @Test
    void emptyProtocolListRejected() throws IOException {
        String message = error(MINIMAL + "health:\n  protocols: []\n");

        assertTrue(message.contains("key health.protocols: empty list;"), message);
    }

    @Test
    void timeoutAboveIntervalRejected() throws IOException {
        String message = error(MINIMAL + "health:\n  interval: 2s\n  timeout: 3s\n");

        assertEquals(configFile() + " line 13, key health.timeout: must not exceed health.interval (2 s), "
                + "because a round has to finish before the next one starts", message);
    }

    @Test
    void defaultTimeoutAboveShortIntervalRejected() throws IOException {
        String message = error(MINIMAL + "health:\n  interval: 1s\n");

        assertTrue(message.contains("key health.timeout: must not exceed health.interval (1 s)"), message);
    }

    @Test
    void subsecondIntervalRejected() throws IOException {
        String message = error(MINIMAL + "health:\n  interval: 500ms\n  timeout: 200ms\n");

        assertEquals(configFile() + " line 12, key health.interval: must be from 1s to 1h, e.g. 5s", message);
    }

    @Test
    void zeroFallRejected() throws IOException {
        String message = error(MINIMAL + "health:\n  fall: 0\n");

        assertEquals(configFile() + " line 12, key health.fall: invalid value '0'; expected a whole number "
                + "from 1 to 100", message);
    }

    @Test
    void probeUserWithoutPasswordFileRejected() throws IOException {
        String message = error(MINIMAL + "health:\n  probe-user: probe@example.test\n");

        assertEquals(configFile() + ", key health.probe-password-file: missing; a probe login needs both "
                + "probe-user and probe-password-file", message);
    }

    @Test
    void unknownKeyRejected() throws IOException {
        String message = error(MINIMAL + "health:\n  intervall: 5s\n");

        assertTrue(message.startsWith(configFile() + " line 12, key health.intervall: unknown key; expected one of "
                + "enabled, interval"), message);
    }

    private HealthSettings load(String yaml) throws IOException {
        return ConfigLoader.load(Files.writeString(configFile(), yaml)).health();
    }

    private String error(String yaml) throws IOException {
        Path file = Files.writeString(configFile(), yaml);
        return assertThrows(ConfigException.class, () -> ConfigLoader.load(file)).getMessage();
    }

    private Path configFile() {
        return folder.resolve("gateway.yaml");
    }
}
