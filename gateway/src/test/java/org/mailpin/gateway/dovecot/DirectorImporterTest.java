package org.mailpin.gateway.dovecot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mailpin.gateway.dovecot.ImportNote.Kind;
import org.mailpin.gateway.dovecot.ImportedConfig.Backend;
import org.mailpin.gateway.dovecot.ImportedConfig.Listener;

class DirectorImporterTest {

    /** The director node's conf.d/10-director.conf from the first deployment, on loopback addresses. */
    static final String DIRECTOR1 = "/dovecot/director1-10-director.conf";

    @TempDir
    Path folder;

    @Test
    void director1BackendsAndExpire() throws IOException {
        ImportedConfig config = importResource(DIRECTOR1);

        assertEquals(List.of(new Backend("be1", "127.0.0.11", 100, ""), new Backend("be2", "127.0.0.12", 100, "")),
                config.backends().list());
        assertEquals(Duration.ofHours(1), config.director().userExpire());
        assertNull(config.director().hashFormat());
    }

    @Test
    void director1ClusterUsesHazelcastPort() throws IOException {
        ImportedConfig config = importResource(DIRECTOR1);

        assertEquals("127.0.0.10:5701", config.cluster().bind());
        assertEquals(List.of("127.0.0.10:5701"), config.cluster().members());
        assertTrue(config.cluster().origin().contains("on port 9090"), config.cluster().origin());
    }

    @Test
    void director1Listeners() throws IOException {
        ImportedConfig config = importResource(DIRECTOR1);

        assertEquals(List.of("imap [::]:143", "pop3 [::]:110", "lmtp 127.0.0.1:24"),
                config.mail().listeners().stream().map(l -> l.protocol() + " " + l.listen()).toList());
        assertNull(config.mail().certFile());
        assertEquals(false, config.mail().requireTls());
    }

    @Test
    void director1NotesListEverything() throws IOException {
        ImportedConfig config = importResource(DIRECTOR1);

        List<String> notNeeded = texts(config, Kind.NOT_NEEDED);
        List<String> untranslated = texts(config, Kind.UNTRANSLATED);
        List<String> actions = texts(config, Kind.ACTION);
        assertTrue(notNeeded.stream().anyMatch(t -> t.startsWith("line 6: service director unix_listener login/director")),
                notNeeded.toString());
        assertTrue(notNeeded.stream().anyMatch(t -> t.startsWith("line 9: service director fifo_listener login/proxy-notify")),
                notNeeded.toString());
        assertTrue(notNeeded.stream().anyMatch(t -> t.startsWith("line 13: service director unix_listener director-userdb")),
                notNeeded.toString());
        assertTrue(notNeeded.stream().anyMatch(t -> t.startsWith("line 36: protocol lmtp: auth_socket_path = director-userdb")),
                notNeeded.toString());
        assertTrue(notNeeded.stream().anyMatch(t -> t.startsWith("line 39: service ipc")), notNeeded.toString());
        assertTrue(notNeeded.stream().anyMatch(t -> t.startsWith("line 48: passdb { driver = static, args = proxy=y nopassword=y }")),
                notNeeded.toString());
        assertTrue(untranslated.stream().anyMatch(t -> t.startsWith("line 26: service imap-login inet_listener imaps")),
                untranslated.toString());
        assertTrue(untranslated.stream().anyMatch(t -> t.startsWith("line 29: service pop3-login inet_listener pop3s")),
                untranslated.toString());
        assertTrue(untranslated.stream().anyMatch(t -> t.startsWith("disable_plaintext_auth is not set here")),
                untranslated.toString());
        assertEquals(1, actions.size(), actions.toString());
        assertTrue(actions.get(0).startsWith("line 34: lmtp_proxy = yes: Dovecot took LMTP on its unix socket"),
                actions.toString());
    }

    @Test
    void rangesAndTagsBecomeBackends() {
        ImportedConfig config = importText("director_mail_servers = 10.0.0.1-10.0.0.3@pool1 10.0.1.7 backend9@pool2\n",
                Map.of("backend9", List.of("10.0.2.9")));

        assertEquals(List.of(new Backend("be1", "10.0.0.1", 100, "pool1"), new Backend("be2", "10.0.0.2", 100, "pool1"),
                        new Backend("be3", "10.0.0.3", 100, "pool1"), new Backend("be4", "10.0.1.7", 100, ""),
                        new Backend("be5", "10.0.2.9", 100, "pool2")),
                config.backends().list());
        assertNull(config.cluster());
        assertNull(config.mail());
        assertTrue(texts(config, Kind.UNTRANSLATED).contains("line 1: director_mail_servers has tagged backends "
                + "(be1@pool1, be2@pool1, be3@pool1, be5@pool2): Mailpin sends every user to the backends without a tag, "
                + "as Dovecot does for users whose passdb returns no director_tag, so tagged backends get no users"),
                config.notes().toString());
    }

    @Test
    void onlyTaggedBackendsNeedAction() {
        ImportedConfig config = importText("director_mail_servers = 10.0.0.1@a 10.0.0.2@a\n", Map.of());

        assertTrue(texts(config, Kind.ACTION).get(0).endsWith("No backend is untagged, so no user can log in until you "
                + "remove a tag"), config.notes().toString());
    }

    @Test
    void severalDirectorsNeedBindPerNode() {
        ImportedConfig config = importText("""
                director_servers = 10.0.0.1 10.0.0.2:9091 director3
                director_mail_servers = 10.0.0.11
                service director {
                  inet_listener {
                    port = 9090
                  }
                }
                """, Map.of());

        assertEquals(List.of("10.0.0.1:5701", "10.0.0.2:5701", "director3:5701"), config.cluster().members());
        assertEquals("10.0.0.1:5701", config.cluster().bind());
        assertTrue(texts(config, Kind.ACTION).stream().anyMatch(t -> t.contains("set cluster.bind to that node's own entry")),
                config.notes().toString());
    }

    @Test
    void listenerAddressChoosesBind() {
        ImportedConfig config = importText("""
                director_servers = 10.0.0.1 10.0.0.2
                director_mail_servers = 10.0.0.11
                service director {
                  inet_listener {
                    address = 10.0.0.2
                    port = 9090
                  }
                }
                """, Map.of());

        assertEquals("10.0.0.2:5701", config.cluster().bind());
        assertTrue(texts(config, Kind.ACTION).isEmpty(), config.notes().toString());
    }

    @Test
    void twoDirectorsOnOneHostGetTwoPorts() {
        ImportedConfig config = importText("director_servers = 127.0.0.1:9090 127.0.0.1:9091 127.0.0.1:9090\n"
                + "director_mail_servers = 10.0.0.11\n", Map.of());

        assertEquals(List.of("127.0.0.1:5701", "127.0.0.1:5702"), config.cluster().members());
    }

    @Test
    void usernameHashTranslated() {
        ImportedConfig config = importText("director_mail_servers = 10.0.0.11\ndirector_username_hash = %Ln\n", Map.of());

        assertEquals("%Ln", config.director().hashFormat());
        assertNull(config.director().userExpire());
    }

    @Test
    void tlsTranslatedWhenFilesReadable() throws IOException {
        Path cert = Files.writeString(folder.resolve("cert.pem"), "cert");
        Path key = Files.writeString(folder.resolve("key.pem"), "key");
        ImportedConfig config = importText("""
                director_mail_servers = 10.0.0.11
                listen = 10.0.0.5
                ssl_cert = <%s
                ssl_key = <%s
                service imap-login {
                  executable = imap-login director
                  inet_listener imap {
                    port = 1143
                  }
                }
                service managesieve-login {
                  executable = managesieve-login director
                }
                """.formatted(cert, key), Map.of());

        assertEquals(List.of(new Listener("imap", "10.0.0.5:1143", "service imap-login inet_listener imap (line 7)"),
                        new Listener("imaps", "10.0.0.5:993", "service imap-login inet_listener imaps (Dovecot's default)"),
                        new Listener("sieve", "10.0.0.5:4190", "service managesieve-login inet_listener sieve (Dovecot's default)")),
                config.mail().listeners());
        assertEquals(cert, config.mail().certFile());
        assertEquals(key, config.mail().keyFile());
        assertTrue(config.mail().requireTls());
    }

    @Test
    void unreadableTlsFilesLeaveTlsOut() {
        ImportedConfig config = importText("""
                director_mail_servers = 10.0.0.11
                ssl_cert = </nonexistent/cert.pem
                ssl_key = </nonexistent/key.pem
                disable_plaintext_auth = yes
                service imap-login {
                  executable = imap-login director
                }
                """, Map.of());

        assertEquals(List.of("imap [::]:143"),
                config.mail().listeners().stream().map(l -> l.protocol() + " " + l.listen()).toList());
        assertNull(config.mail().certFile());
        assertEquals(false, config.mail().requireTls());
        assertTrue(texts(config, Kind.UNTRANSLATED).contains("line 4: disable_plaintext_auth = yes: Dovecot took "
                + "plaintext logins only over TLS, but /nonexistent/cert.pem (ssl_cert or ssl_key) is not readable here, "
                + "so the written config accepts plaintext logins. Add mail.tls and require-tls: true"),
                config.notes().toString());
    }

    @Test
    void lmtpOutsideProtocolsNoted() {
        ImportedConfig config = importText("director_mail_servers = 10.0.0.11\nprotocols = imap\nlmtp_proxy = yes\n",
                Map.of());

        assertNull(config.mail());
        assertTrue(texts(config, Kind.UNTRANSLATED).contains("line 3: lmtp_proxy = yes, but protocols does not list "
                + "lmtp, so Dovecot did not run it; no lmtp listener written"), config.notes().toString());
    }

    @Test
    void loginServiceWithoutDirectorNoted() {
        ImportedConfig config = importText("""
                director_mail_servers = 10.0.0.11
                service imap-login {
                  process_min_avail = 4
                }
                """, Map.of());

        assertNull(config.mail());
        assertTrue(texts(config, Kind.UNTRANSLATED).contains("line 2: service imap-login runs without the director "
                + "argument (executable = imap-login director), so its logins did not go through the director; no imap "
                + "listener written"), config.notes().toString());
        assertTrue(texts(config, Kind.NOT_NEEDED).contains("line 3: service imap-login: process_min_avail = 4: a process "
                + "setting of Dovecot; Mailpin runs as one Java process"), config.notes().toString());
    }

    @Test
    void otherSettingsAndIncludesNoted() {
        ImportedConfig config = importText("""
                !include conf.d/*.conf
                director_mail_servers = 10.0.0.11
                log_path = /var/log/dovecot.log
                director_flush_socket = /run/flush
                director_ping_idle_timeout = 30 secs
                """, Map.of());

        List<String> untranslated = texts(config, Kind.UNTRANSLATED);
        assertTrue(untranslated.get(0).startsWith("line 1: !include conf.d/*.conf was not followed"), untranslated.toString());
        assertTrue(untranslated.contains("line 3: log_path = /var/log/dovecot.log: no Mailpin equivalent; the importer "
                + "translates the director's own settings only"), untranslated.toString());
        assertTrue(untranslated.get(2).startsWith("line 4: director_flush_socket = /run/flush: "), untranslated.toString());
        assertTrue(texts(config, Kind.NOT_NEEDED).get(0).startsWith("line 5: director_ping_idle_timeout = 30 secs: "),
                config.notes().toString());
    }

    @Test
    void taggedPassdbNoted() {
        ImportedConfig config = importText("""
                director_mail_servers = 10.0.0.11@a
                passdb {
                  driver = static
                  args = proxy=y nopassword=y director_tag=a
                }
                """, Map.of());

        assertTrue(texts(config, Kind.UNTRANSLATED).get(0).startsWith("line 2: passdb { driver = static, args = proxy=y "
                + "nopassword=y director_tag=a }: Mailpin does not read user tags"), config.notes().toString());
    }

    @Test
    void zeroExpireKeepsDefault() {
        ImportedConfig config = importText("director_mail_servers = 10.0.0.11\ndirector_user_expire = 0\n", Map.of());

        assertNull(config.director());
        assertTrue(texts(config, Kind.UNTRANSLATED).get(0).startsWith("line 2: director_user_expire = 0: "),
                config.notes().toString());
    }

    @Test
    void badExpireNamesLineValueAndFix() {
        DovecotConfigException e = assertThrows(DovecotConfigException.class,
                () -> importText("director_mail_servers = 10.0.0.11\ndirector_user_expire = 60\n", Map.of()));

        assertEquals("test.conf line 2: director_user_expire: time interval '60' has no unit; Dovecot needs one too, "
                + "e.g. 60 min", e.getMessage());
    }

    @Test
    void badRangeNamesLineValueAndFix() {
        DovecotConfigException e = assertThrows(DovecotConfigException.class,
                () -> importText("ssl = no\ndirector_mail_servers = 10.0.0.5-10.0.0.1\n", Map.of()));

        assertEquals("test.conf line 2: director_mail_servers: range '10.0.0.5-10.0.0.1' starts above its end; write the "
                + "lower address first, e.g. 10.0.0.1-10.0.0.5", e.getMessage());
    }

    @Test
    void unknownHashVariableStopsImport() {
        DovecotConfigException e = assertThrows(DovecotConfigException.class,
                () -> importText("director_mail_servers = 10.0.0.11\ndirector_username_hash = %{user}\n", Map.of()));

        assertTrue(e.getMessage().startsWith("test.conf line 2: director_username_hash: invalid username hash format "
                + "'%{user}'"), e.getMessage());
        assertTrue(e.getMessage().endsWith("Users would map to other backends than with Dovecot, so the import stops"),
                e.getMessage());
    }

    @Test
    void duplicateBackendRejected() {
        DovecotConfigException e = assertThrows(DovecotConfigException.class,
                () -> importText("director_mail_servers = 10.0.0.1-10.0.0.3 10.0.0.2\n", Map.of()));

        assertEquals("test.conf line 1: director_mail_servers lists 10.0.0.2 twice (in '10.0.0.1-10.0.0.3' and "
                + "'10.0.0.2'); the address is a backend's identity on the ring, so list each backend once", e.getMessage());
    }

    @Test
    void missingMailServersRejected() {
        DovecotConfigException e = assertThrows(DovecotConfigException.class,
                () -> importText("director_servers = 10.0.0.1\n", Map.of()));

        assertTrue(e.getMessage().startsWith("test.conf: no director_mail_servers setting"), e.getMessage());
    }

    @Test
    void badListenerPortRejected() {
        DovecotConfigException e = assertThrows(DovecotConfigException.class, () -> importText("""
                director_mail_servers = 10.0.0.11
                service pop3-login {
                  executable = pop3-login director
                  inet_listener pop3 {
                    port = 11o
                  }
                }
                """, Map.of()));

        assertEquals("test.conf line 5: invalid port '11o' in inet_listener pop3; expected a number from 0 (off) to 65535",
                e.getMessage());
    }

    @Test
    void badDirectorServerRejected() {
        DovecotConfigException e = assertThrows(DovecotConfigException.class,
                () -> importText("director_servers = 10.0.0.1:99999\ndirector_mail_servers = 10.0.0.11\n", Map.of()));

        assertEquals("test.conf line 1: director_servers: invalid entry '10.0.0.1:99999'; expected HOST, HOST:PORT or "
                + "[IPv6]:PORT with a port from 1 to 65535", e.getMessage());
    }

    static ImportedConfig importResource(String resource) throws IOException {
        try (InputStream in = DirectorImporterTest.class.getResourceAsStream(resource)) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return new DirectorImporter(resource, Map.of()).translate(Path.of(resource),
                    new DovecotConfigParser(resource).parse(text));
        }
    }

    private static ImportedConfig importText(String text, Map<String, List<String>> hosts) {
        return new DirectorImporter("test.conf", hosts).translate(Path.of("test.conf"),
                new DovecotConfigParser("test.conf").parse(text));
    }

    private static List<String> texts(ImportedConfig config, Kind kind) {
        return config.notes().stream().filter(n -> n.kind() == kind).map(ImportNote::located).toList();
    }
}
