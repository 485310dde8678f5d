package org.mailpin.gateway.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailpin.director.Backend;
import org.mailpin.director.BackendPorts;
import org.mailpin.gateway.config.GatewayConfig.RoundcubeInstance;

class ConfigLoaderTest {

    /**
     * The shape of the config that examples/seed-topology/start.sh writes. Some tests name its
     * lines by number: backend be2 starts on line 17 and its address is on line 18.
     */
    private static final String DEMO = """
            # Mailpin gateway configuration for the demo.
            node: gw1
            director:
              user-expire: 60m
              username:
                lowercase: true
                default-domain: example.test
            backends:
              - id: be1
                address: 127.0.0.11
                vhosts: 100
                imap-port: 143
                pop3-port: 110
                lmtp-port: 24
                sieve-port: 4190
                webmail: rc1
              - id: be2
                address: 127.0.0.12
                vhosts: 100
                imap-port: 143
                pop3-port: 110
                lmtp-port: 24
                sieve-port: 4190
                webmail: rc2
            web:
              listen: 127.0.0.1:8080
              prefix: /mail/
              public-hosts: ["127.0.0.1:8080", "localhost:8080"]
              secret-file: secret
              shared-sessions: false
              max-body-size: 35MB
              roundcube:
                - id: rc1
                  url: http://127.0.0.21:8081/
                - id: rc2
                  url: http://127.0.0.22:8082/
            admin:
              listen: 127.0.0.1:9180
              token-file: admin-token
            """;

    /** Only the required keys, so every other value comes from a default. */
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
    void demoLoadsBackends() throws IOException {
        GatewayConfig config = ConfigLoader.load(write(DEMO));

        assertEquals(List.of(
                new Backend("be1", "127.0.0.11", 100, "", BackendPorts.DEFAULTS, "rc1", true),
                new Backend("be2", "127.0.0.12", 100, "", BackendPorts.DEFAULTS, "rc2", true)),
                config.backends());
    }

    @Test
    void demoLoadsDirector() throws IOException {
        GatewayConfig config = ConfigLoader.load(write(DEMO));

        assertEquals("gw1", config.node());
        assertEquals(Duration.ofMinutes(60), config.director().userExpire());
        assertTrue(config.director().lowercase());
        assertEquals("example.test", config.director().defaultDomain());
        assertEquals("%Lu", config.director().hashFormat());
    }

    @Test
    void demoLoadsWeb() throws IOException {
        GatewayConfig config = ConfigLoader.load(write(DEMO));

        assertEquals("127.0.0.1", config.web().listenHost());
        assertEquals(8080, config.web().listenPort());
        assertEquals(List.of("127.0.0.1:8080", "localhost:8080"), config.web().publicHosts());
        assertFalse(config.web().sharedSessions());
        assertEquals(List.of(
                new RoundcubeInstance("rc1", URI.create("http://127.0.0.21:8081/")),
                new RoundcubeInstance("rc2", URI.create("http://127.0.0.22:8082/"))),
                config.web().roundcube());
    }

    @Test
    void relativePathsResolveAgainstConfigFolder() throws IOException {
        GatewayConfig config = ConfigLoader.load(write(DEMO));

        assertEquals(folder.toAbsolutePath().resolve("secret"), config.web().secretFile());
        assertEquals(folder.toAbsolutePath().resolve("admin-token"), config.admin().tokenFile());
    }

    @Test
    void absolutePathsKept() throws IOException {
        GatewayConfig config = ConfigLoader.load(write(MINIMAL));

        assertEquals(Path.of("/etc/mailpin/secret"), config.web().secretFile());
    }

    @Test
    void defaultsForDirector() throws IOException {
        GatewayConfig config = ConfigLoader.load(write(MINIMAL));

        assertEquals("mailpin", config.node());
        assertEquals(Duration.ofMinutes(15), config.director().userExpire());
        assertTrue(config.director().lowercase());
        assertNull(config.director().defaultDomain());
        assertEquals("%Lu", config.director().hashFormat());
    }

    @Test
    void defaultsForBackend() throws IOException {
        Backend backend = ConfigLoader.load(write(MINIMAL)).backends().get(0);

        assertEquals(100, backend.vhosts());
        assertEquals("", backend.tag());
        assertEquals(BackendPorts.DEFAULTS, backend.ports());
        assertNull(backend.webmail());
    }

    @Test
    void defaultsForWeb() throws IOException {
        GatewayConfig.WebSection web = ConfigLoader.load(write(MINIMAL)).web();

        assertEquals("127.0.0.1", web.listenHost());
        assertEquals(8080, web.listenPort());
        assertEquals("/mail/", web.prefix());
        assertEquals(List.of("127.0.0.1:8080", "localhost:8080"), web.publicHosts());
        assertEquals(35L * 1024 * 1024, web.maxBodySize());
        assertEquals(Duration.ofMinutes(30), web.sessionIdle());
        assertEquals("roundcube_sessid", web.sessionCookie());
        assertEquals(Duration.ofSeconds(120), web.proxyTimeout());
        assertFalse(web.sharedSessions());
    }

    @Test
    void defaultsForAdminAndCluster() throws IOException {
        GatewayConfig config = ConfigLoader.load(write(MINIMAL));

        assertEquals("127.0.0.1", config.admin().listenHost());
        assertEquals(9180, config.admin().listenPort());
        assertEquals("mailpin", config.cluster().name());
        assertEquals(5701, config.cluster().port());
        assertEquals(List.of(), config.cluster().members());
    }

    @Test
    void ipv6AddressCanonical() throws IOException {
        String yaml = MINIMAL.replace("address: 127.0.0.11", "address: \"2001:DB8:0:0::1\"");

        assertEquals("2001:db8::1", ConfigLoader.load(write(yaml)).backends().get(0).address());
    }

    @Test
    void unknownKeyRejected() throws IOException {
        String yaml = replaceOnce(DEMO, "  listen: 127.0.0.1:8080", "  lisen: 127.0.0.1:8080");

        String message = loadError(yaml).getMessage();

        assertTrue(message.startsWith(configFile() + " "), message);
        assertTrue(message.contains("line " + lineOf(yaml, "lisen:") + ","), message);
        assertTrue(message.contains("key web.lisen:"), message);
        assertTrue(message.contains("unknown key; expected one of listen, prefix"), message);
    }

    @Test
    void unknownKeyInListItemRejected() throws IOException {
        String yaml = replaceOnce(DEMO, "    lmtp-port: 24\n    sieve-port: 4190\n    webmail: rc2",
                "    lmtp-port: 24\n    sieve-port: 4190\n    web-mail: rc2");

        String message = loadError(yaml).getMessage();

        assertTrue(message.contains("line " + lineOf(yaml, "web-mail:") + ", key backends[1].web-mail:"), message);
    }

    @Test
    void vhostsAboveMaximumRejected() throws IOException {
        String yaml = replaceOnce(DEMO, "address: 127.0.0.12\n    vhosts: 100", "address: 127.0.0.12\n    vhosts: 2000");

        ConfigException error = loadError(yaml);

        assertEquals(19, lineOf(yaml, "vhosts: 2000"));
        assertEquals(configFile() + " line 19, key backends[1].vhosts: invalid value '2000'; "
                + "expected a whole number from 0 to 1000", error.getMessage());
    }

    @Test
    void durationWithWordUnitRejected() throws IOException {
        String yaml = replaceOnce(DEMO, "user-expire: 60m", "user-expire: 60 minutes");

        String message = loadError(yaml).getMessage();

        assertTrue(message.contains("line " + lineOf(yaml, "user-expire:") + ", key director.user-expire:"), message);
        assertTrue(message.contains("invalid duration '60 minutes'"), message);
        assertTrue(message.contains("e.g. 30s, 15m, 60min or 1h"), message);
    }

    @Test
    void zeroUserExpireRejected() throws IOException {
        String yaml = replaceOnce(DEMO, "user-expire: 60m", "user-expire: 0s");

        String message = loadError(yaml).getMessage();

        assertTrue(message.contains("key director.user-expire: must be above 0"), message);
    }

    @Test
    void listenPortOutOfRangeRejected() throws IOException {
        String yaml = replaceOnce(DEMO, "listen: 127.0.0.1:8080", "listen: 127.0.0.1:70000");

        String message = loadError(yaml).getMessage();

        assertTrue(message.contains("line " + lineOf(yaml, "70000") + ", key web.listen:"), message);
        assertTrue(message.contains("invalid port in '127.0.0.1:70000': expected 1 to 65535"), message);
    }

    @Test
    void adminListenAfterListRejected() throws IOException {
        String yaml = replaceOnce(DEMO, "listen: 127.0.0.1:9180", "listen: 127.0.0.1:0");

        String message = loadError(yaml).getMessage();

        assertTrue(message.contains("line " + lineOf(yaml, "127.0.0.1:0") + ", key admin.listen:"), message);
    }

    @Test
    void duplicateBackendIdRejected() throws IOException {
        String yaml = replaceOnce(DEMO, "id: be2", "id: be1");

        String message = loadError(yaml).getMessage();

        assertTrue(message.contains("line 17, key backends[1].id:"), message);
        assertTrue(message.contains("duplicate backend id 'be1'"), message);
    }

    @Test
    void duplicateAddressRejected() throws IOException {
        String yaml = replaceOnce(DEMO, "address: 127.0.0.12", "address: 127.0.0.11");

        String message = loadError(yaml).getMessage();

        assertTrue(message.contains("line 18, key backends[1].address:"), message);
        assertTrue(message.contains("duplicate address 127.0.0.11"), message);
    }

    @Test
    void duplicateAddressInOtherSpellingRejected() throws IOException {
        String yaml = replaceOnce(replaceOnce(DEMO, "address: 127.0.0.11", "address: \"::1\""),
                "address: 127.0.0.12", "address: \"0:0:0:0:0:0:0:1\"");

        String message = loadError(yaml).getMessage();

        assertTrue(message.contains("key backends[1].address: duplicate address ::1"), message);
    }

    @Test
    void hostNameAddressRejected() throws IOException {
        String yaml = replaceOnce(DEMO, "address: 127.0.0.12", "address: mail2.example.test");

        String message = loadError(yaml).getMessage();

        assertTrue(message.contains("line 18, key backends[1].address: invalid IP address 'mail2.example.test'"),
                message);
    }

    @Test
    void unknownWebmailRejected() throws IOException {
        String yaml = replaceOnce(DEMO, "webmail: rc2", "webmail: rc9");

        String message = loadError(yaml).getMessage();

        assertTrue(message.contains("line " + lineOf(yaml, "webmail: rc9") + ", key backends[1].webmail:"), message);
        assertTrue(message.contains("unknown Roundcube instance 'rc9'; expected one of the ids under web.roundcube"),
                message);
    }

    @Test
    void missingSecretFileRejected() throws IOException {
        String yaml = replaceOnce(DEMO, "  secret-file: secret\n", "");

        String message = loadError(yaml).getMessage();

        assertTrue(message.startsWith(configFile() + ", key web.secret-file: missing;"), message);
        assertTrue(message.contains("expected the path of a file"), message);
    }

    @Test
    void missingBackendsRejected() throws IOException {
        String yaml = DEMO.substring(0, DEMO.indexOf("backends:")) + DEMO.substring(DEMO.indexOf("web:"));

        String message = loadError(yaml).getMessage();

        assertTrue(message.contains("key backends: missing; list at least one backend"), message);
    }

    @Test
    void prefixWithoutTrailingSlashRejected() throws IOException {
        String yaml = replaceOnce(DEMO, "prefix: /mail/", "prefix: /mail");

        String message = loadError(yaml).getMessage();

        assertTrue(message.contains("line " + lineOf(yaml, "prefix:") + ", key web.prefix:"), message);
        assertTrue(message.contains("invalid prefix '/mail'; expected a path that starts and ends with /"), message);
    }

    @Test
    void rootPrefixAccepted() throws IOException {
        String yaml = replaceOnce(DEMO, "prefix: /mail/", "prefix: /");

        assertEquals("/", ConfigLoader.load(write(yaml)).web().prefix());
    }

    @Test
    void badSizeRejected() throws IOException {
        String yaml = replaceOnce(DEMO, "max-body-size: 35MB", "max-body-size: 35 megabytes");

        String message = loadError(yaml).getMessage();

        assertTrue(message.contains("line " + lineOf(yaml, "max-body-size:") + ", key web.max-body-size:"), message);
        assertTrue(message.contains("invalid size '35 megabytes'"), message);
    }

    @Test
    void tinyBodySizeRejected() throws IOException {
        String yaml = replaceOnce(DEMO, "max-body-size: 35MB", "max-body-size: 512KB");

        String message = loadError(yaml).getMessage();

        assertTrue(message.contains("key web.max-body-size: too small (524288 bytes); expected at least 1MB"), message);
    }

    @Test
    void nonHttpRoundcubeUrlRejected() throws IOException {
        String yaml = replaceOnce(DEMO, "url: http://127.0.0.22:8082/", "url: ftp://127.0.0.22/");

        String message = loadError(yaml).getMessage();

        assertTrue(message.contains("line " + lineOf(yaml, "ftp://") + ", key web.roundcube[1].url:"), message);
        assertTrue(message.contains("invalid URL 'ftp://127.0.0.22/'"), message);
    }

    @Test
    void duplicateRoundcubeIdRejected() throws IOException {
        String yaml = replaceOnce(DEMO, "- id: rc2", "- id: rc1");

        String message = loadError(yaml).getMessage();

        assertTrue(message.contains("key web.roundcube[1].id: duplicate Roundcube instance id 'rc1'"), message);
    }

    @Test
    void nonBooleanRejected() throws IOException {
        String yaml = replaceOnce(DEMO, "shared-sessions: false", "shared-sessions: maybe");

        String message = loadError(yaml).getMessage();

        assertTrue(message.contains("key web.shared-sessions: invalid value 'maybe'; expected true or false"), message);
    }

    @Test
    void badHashFormatRejected() throws IOException {
        String yaml = replaceOnce(DEMO, "    default-domain: example.test",
                "    default-domain: example.test\n    hash-format: \"%x\"");

        String message = loadError(yaml).getMessage();

        assertTrue(message.contains("line " + lineOf(yaml, "hash-format:") + ", key director.username.hash-format:"),
                message);
    }

    @Test
    void scalarSectionRejected() throws IOException {
        String yaml = replaceOnce(DEMO, "admin:\n  listen: 127.0.0.1:9180\n  token-file: admin-token\n", "admin: on\n");

        String message = loadError(yaml).getMessage();

        assertTrue(message.contains("key admin: expected a mapping of keys"), message);
    }

    @Test
    void invalidYamlRejected() throws IOException {
        String message = loadError("web: [unclosed\n").getMessage();

        assertTrue(message.startsWith(configFile() + " line "), message);
        assertTrue(message.contains(": invalid YAML: "), message);
    }

    @Test
    void missingFileRejected() {
        Path absent = folder.resolve("absent.yaml");

        ConfigException error = assertThrows(ConfigException.class, () -> ConfigLoader.load(absent));

        assertTrue(error.getMessage().equals("config file " + absent + " not found"), error.getMessage());
    }

    @Test
    void clusterMembersNormalized() throws IOException {
        String yaml = MINIMAL + """
                cluster:
                  bind: 127.0.0.1:5701
                  members: ["127.0.0.1", "127.0.0.2", "127.0.0.3:5801", "[::1]:5702", "gw5.example.test"]
                """;

        GatewayConfig.ClusterSection cluster = ConfigLoader.load(write(yaml)).cluster();

        assertEquals(GatewayConfig.ClusterMode.MEMBER, cluster.mode());
        assertEquals(List.of("127.0.0.1:5701", "127.0.0.2:5701", "127.0.0.3:5801", "[::1]:5702",
                "gw5.example.test:5701"), cluster.members());
        assertEquals(3, cluster.minMembers());
        assertEquals(List.of(), cluster.clientAddresses());
    }

    @Test
    void clusterMinMembersDefaults() throws IOException {
        String two = MINIMAL + "cluster:\n  bind: 127.0.0.1:5701\n  members: [\"127.0.0.2:5701\"]\n";
        String three = MINIMAL + "cluster:\n  bind: 127.0.0.1:5701\n  members: [\"127.0.0.2\", \"127.0.0.3\"]\n";
        String set = MINIMAL + "cluster:\n  members: [\"127.0.0.2\", \"127.0.0.3\"]\n  min-members: 1\n";

        assertEquals(1, ConfigLoader.load(write(MINIMAL)).cluster().minMembers());
        assertEquals(1, ConfigLoader.load(write(two)).cluster().minMembers());
        assertEquals(2, ConfigLoader.load(write(three)).cluster().minMembers());
        assertEquals(1, ConfigLoader.load(write(set)).cluster().minMembers());
    }

    @Test
    void clusterMinMembersAboveSizeRejected() throws IOException {
        String yaml = MINIMAL + "cluster:\n  members: [\"127.0.0.2\"]\n  min-members: 3\n";

        String message = loadError(yaml).getMessage();

        assertTrue(message.contains("key cluster.min-members:"), message);
        assertTrue(message.contains("expected a whole number from 1 to 2"), message);
    }

    @Test
    void clusterMemberEntryInvalid() throws IOException {
        List<String> invalid = List.of("127.0.0.3:99999", "127.0.0.3:", "10.0.0.1-5", "10.0.0.*", "gw 3",
                ":5701", "[::1", "999.0.0.1", "gw3.example.test:http");
        for (String entry : invalid) {
            String yaml = MINIMAL + "cluster:\n  members: [\"127.0.0.2\", \"" + entry + "\"]\n";

            String message = loadError(yaml).getMessage();

            assertTrue(message.contains("key cluster.members[1]:"), entry + ": " + message);
            assertTrue(message.contains("invalid"), entry + ": " + message);
        }
    }

    @Test
    void clusterMemberDuplicateRejected() throws IOException {
        String yaml = MINIMAL + "cluster:\n  members: [\"127.0.0.2\", \"127.0.0.2:5701\"]\n";

        String message = loadError(yaml).getMessage();

        assertTrue(message.contains("key cluster.members[1]: duplicate entry '127.0.0.2:5701'"), message);
    }

    @Test
    void clusterModeUnknownRejected() throws IOException {
        String yaml = MINIMAL + "cluster:\n  mode: server\n";

        String message = loadError(yaml).getMessage();

        assertTrue(message.contains("key cluster.mode: invalid mode 'server'; expected member or client"), message);
    }

    @Test
    void clusterClientMode() throws IOException {
        String yaml = MINIMAL + """
                cluster:
                  name: shared
                  mode: client
                  client:
                    addresses: ["10.0.0.5", "10.0.0.6:5801"]
                """;

        GatewayConfig.ClusterSection cluster = ConfigLoader.load(write(yaml)).cluster();

        assertEquals(GatewayConfig.ClusterMode.CLIENT, cluster.mode());
        assertEquals("shared", cluster.name());
        assertEquals(List.of("10.0.0.5:5701", "10.0.0.6:5801"), cluster.clientAddresses());
        assertEquals(List.of(), cluster.members());
    }

    @Test
    void clusterClientModeNeedsAddresses() throws IOException {
        String yaml = MINIMAL + "cluster:\n  mode: client\n";

        String message = loadError(yaml).getMessage();

        assertTrue(message.contains("key cluster.client.addresses: missing"), message);
    }

    @Test
    void clusterClientModeRejectsMembers() throws IOException {
        String yaml = MINIMAL + "cluster:\n  mode: client\n  members: [\"10.0.0.2\"]\n"
                + "  client:\n    addresses: [\"10.0.0.5\"]\n";

        String message = loadError(yaml).getMessage();

        assertTrue(message.contains("key cluster.members: only used with mode: member"), message);
    }

    @Test
    void clusterMemberModeRejectsClientSection() throws IOException {
        String yaml = MINIMAL + "cluster:\n  client:\n    addresses: [\"10.0.0.5\"]\n";

        String message = loadError(yaml).getMessage();

        assertTrue(message.contains("key cluster.client: only used with mode: client"), message);
    }

    private Path configFile() {
        return folder.resolve("gateway.yaml");
    }

    private Path write(String yaml) throws IOException {
        return Files.writeString(configFile(), yaml);
    }

    private ConfigException loadError(String yaml) throws IOException {
        Path file = write(yaml);
        return assertThrows(ConfigException.class, () -> ConfigLoader.load(file));
    }

    /** Returns the 1-based number of the only line that contains the text. */
    private static int lineOf(String yaml, String text) {
        List<String> lines = yaml.lines().toList();
        int found = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(text)) {
                assertEquals(-1, found, "more than one line contains " + text);
                found = i + 1;
            }
        }
        assertTrue(found > 0, "no line contains " + text);
        return found;
    }

    private static String replaceOnce(String text, String target, String replacement) {
        int at = text.indexOf(target);
        assertTrue(at >= 0, "the config has no " + target);
        assertEquals(-1, text.indexOf(target, at + 1), "the config has more than one " + target);
        return text.substring(0, at) + replacement + text.substring(at + target.length());
    }

    @Test
    void duplicateKeyRejected() throws IOException {
        String yaml = replaceOnce(DEMO, "node: gw1\n", "node: gw1\nnode: gw2\n");

        String message = loadError(yaml).getMessage();

        assertTrue(message.contains("Duplicate field 'node'"), message);
    }

    @Test
    void adminOnWebAddressRejected() throws IOException {
        String yaml = replaceOnce(DEMO, "  listen: 127.0.0.1:9180", "  listen: 127.0.0.1:8080");

        String message = loadError(yaml).getMessage();

        assertTrue(message.contains("admin.listen"), message);
        assertTrue(message.contains("the same address as web.listen"), message);
    }

    @Test
    void defaultDomainWithAtRejected() throws IOException {
        String yaml = replaceOnce(DEMO, "default-domain: example.test", "default-domain: \"@example.test\"");

        String message = loadError(yaml).getMessage();

        assertTrue(message.contains("director.username.default-domain"), message);
        assertTrue(message.contains("without @"), message);
    }
}
