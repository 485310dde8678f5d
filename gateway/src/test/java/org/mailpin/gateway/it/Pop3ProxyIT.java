package org.mailpin.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

import javax.net.ssl.SSLContext;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mailpin.director.Director;
import org.mailpin.gateway.mail.LineClient;
import org.mailpin.gateway.mail.LogFileWatch;
import org.mailpin.gateway.mail.SelfSignedCertificate;

import jakarta.mail.Folder;
import jakarta.mail.Session;
import jakarta.mail.Store;

/**
 * The POP3 proxy against the two real Dovecot 2.3 backends: Jakarta Mail logs in through the
 * gateway from a loopback address other than the gateway's own, and the owner backend's log must
 * show that address as {@code rip}, which it only does when XCLIENT worked.
 */
class Pop3ProxyIT {

    private static final Duration LOG_WAIT = Duration.ofSeconds(10);
    // The test clients connect from here; the gateway itself connects to backends from 127.0.0.1.
    private static final String CLIENT_ADDRESS = "127.0.0.5";

    private static Path certificateFolder;
    private static SelfSignedCertificate certificate;
    private static Topology topology;
    private static int pop3Port;
    private static int pop3sPort;
    private static String be1User;
    private static String be2User;

    @BeforeAll
    static void start() throws Exception {
        certificateFolder = Files.createTempDirectory("mailpin-pop3-it-");
        certificate = SelfSignedCertificate.create(certificateFolder);
        pop3Port = Topology.freePort();
        pop3sPort = Topology.freePort();
        topology = Topology.start("separate", """
                mail:
                  listeners:
                    - protocol: pop3
                      listen: 127.0.0.1:%d
                    - protocol: pop3s
                      listen: 127.0.0.1:%d
                  tls:
                    cert-file: %s
                    key-file: %s
                """.formatted(pop3Port, pop3sPort, certificate.certFile(), certificate.keyFile()));
        Director director = topology.gateway.director();
        for (int i = 1; i <= Topology.USERS && (be1User == null || be2User == null); i++) {
            String backendId = director.assign(Topology.user(i)).backendId();
            if (backendId.equals("be1") && be1User == null) {
                be1User = Topology.user(i);
            } else if (backendId.equals("be2") && be2User == null) {
                be2User = Topology.user(i);
            }
        }
        assertNotNull(be1User, "a user on be1");
        assertNotNull(be2User, "a user on be2");
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (topology != null) {
                topology.close();
            }
        } finally {
            try (var files = Files.list(certificateFolder)) {
                for (Path file : files.toList()) {
                    Files.delete(file);
                }
            }
            Files.delete(certificateFolder);
        }
    }

    private static String password(String user) {
        return Topology.password(Integer.parseInt(user.substring(4, 6)));
    }

    private static Path backendLog(String backendId) {
        return topology.state.resolve("logs/" + backendId + ".log");
    }

    /** Logs in with Jakarta Mail and returns the INBOX message count. */
    private static int jakartaMessageCount(String protocol, int port, String user, SSLContext tls) throws Exception {
        Properties properties = new Properties();
        properties.put("mail." + protocol + ".host", "127.0.0.1");
        properties.put("mail." + protocol + ".port", Integer.toString(port));
        properties.put("mail." + protocol + ".localaddress", CLIENT_ADDRESS);
        properties.put("mail." + protocol + ".connectiontimeout", "10000");
        properties.put("mail." + protocol + ".timeout", "30000");
        if (tls != null) {
            properties.put("mail." + protocol + ".ssl.socketFactory", tls.getSocketFactory());
        }
        Store store = Session.getInstance(properties).getStore(protocol);
        store.connect(user, password(user));
        try {
            Folder inbox = store.getFolder("INBOX");
            inbox.open(Folder.READ_ONLY);
            int count = inbox.getMessageCount();
            inbox.close(false);
            return count;
        } finally {
            store.close();
        }
    }

    private static Optional<String> awaitLogin(String backendId, int offset, String user) throws Exception {
        return LogFileWatch.awaitLine(backendLog(backendId), offset,
                line -> line.contains("pop3-login: Info: Login: user=<" + user + ">"), LOG_WAIT);
    }

    @Test
    void jakartaLogsInOnOwnerBackend() throws Exception {
        for (String user : List.of(be1User, be2User)) {
            String owner = user.equals(be1User) ? "be1" : "be2";
            String other = owner.equals("be1") ? "be2" : "be1";
            int ownerOffset = LogFileWatch.length(backendLog(owner));
            int otherOffset = LogFileWatch.length(backendLog(other));

            assertTrue(jakartaMessageCount("pop3", pop3Port, user, null) >= 1, "messages of " + user);
            String login = awaitLogin(owner, ownerOffset, user).orElseThrow(() ->
                    new AssertionError("no POP3 login of " + user + " in " + owner + ".log"));
            assertTrue(login.contains("rip=" + CLIENT_ADDRESS + ","), login);
            assertTrue(login.contains("real_rip=127.0.0.1"), login);
            // The gateway forwards its connection id; Dovecot's own session ids are base64 without '-'.
            assertTrue(login.contains("session=<pop3-"), login);
            assertFalse(Files.readString(backendLog(other)).substring(otherOffset)
                    .contains("pop3-login: Info: Login: user=<" + user + ">"), "login of " + user + " on " + other);
        }
    }

    @Test
    void pop3sLogsIn() throws Exception {
        int offset = LogFileWatch.length(backendLog("be2"));

        assertTrue(jakartaMessageCount("pop3s", pop3sPort, be2User, certificate.clientContext()) >= 1);
        String login = awaitLogin("be2", offset, be2User).orElseThrow();
        assertTrue(login.contains("rip=" + CLIENT_ADDRESS + ","), login);
    }

    @Test
    void stlsDropsPipelinedCommandThenLogsIn() throws Exception {
        try (LineClient client = LineClient.connectFrom(CLIENT_ADDRESS, pop3Port, null)) {
            assertEquals("+OK Mailpin ready.", client.readLine());
            client.write("STLS\r\nQUIT\r\n");
            assertEquals("+OK Begin TLS negotiation now.", client.readLine());
            client.startTls(certificate.clientContext());
            client.writeLine("CAPA");

            assertEquals("+OK Capability list follows", client.readLine());
            client.readThrough(".");
            client.write("USER " + be1User + "\r\nPASS " + password(be1User) + "\r\n");
            assertEquals(List.of("+OK", "+OK Logged in."), client.readLines(2));
            client.writeLine("STAT");
            assertTrue(client.readLine().startsWith("+OK "));
        }
    }

    @Test
    void wrongPasswordRelaysBackendError() throws Exception {
        try (LineClient client = LineClient.connectFrom(CLIENT_ADDRESS, pop3Port, null)) {
            client.readLine();
            client.write("USER " + be1User + "\r\nPASS wrong-password\r\n");

            assertEquals(List.of("+OK", "-ERR [AUTH] Authentication failed."), client.readLines(2));
        }
    }
}
