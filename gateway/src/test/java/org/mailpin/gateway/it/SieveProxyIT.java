package org.mailpin.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mailpin.director.Director;
import org.mailpin.gateway.mail.LineClient;
import org.mailpin.gateway.mail.LogFileWatch;

/**
 * The ManageSieve proxy against the two real Dovecot 2.3 backends with Pigeonhole: the literal
 * AUTHENTICATE that Roundcube's managesieve plugin sends, commands after login, a wrong password,
 * and the client address the backend logs.
 */
class SieveProxyIT {

    private static final Duration LOG_WAIT = Duration.ofSeconds(10);
    // The test clients connect from here; the gateway itself connects to backends from 127.0.0.1.
    private static final String CLIENT_ADDRESS = "127.0.0.6";

    private static Topology topology;
    private static int sievePort;
    private static String be1User;
    private static String be2User;

    @BeforeAll
    static void start() throws Exception {
        sievePort = Topology.freePort();
        topology = Topology.start("separate", """
                mail:
                  listeners:
                    - protocol: sieve
                      listen: 127.0.0.1:%d
                """.formatted(sievePort));
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
        if (topology != null) {
            topology.close();
        }
    }

    private static String password(String user) {
        return Topology.password(Integer.parseInt(user.substring(4, 6)));
    }

    private static String plain(String user, String password) {
        return Base64.getEncoder().encodeToString(("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static Path backendLog(String backendId) {
        return topology.state.resolve("logs/" + backendId + ".log");
    }

    private static LineClient connect() throws Exception {
        LineClient client = LineClient.connectFrom(CLIENT_ADDRESS, sievePort, null);
        client.readThrough("OK");
        return client;
    }

    @Test
    void literalLoginThenListScripts() throws Exception {
        for (String user : List.of(be1User, be2User)) {
            String owner = user.equals(be1User) ? "be1" : "be2";
            int offset = LogFileWatch.length(backendLog(owner));
            String response = plain(user, password(user));
            try (LineClient client = connect()) {
                client.write("AUTHENTICATE \"PLAIN\" {" + response.length() + "+}\r\n" + response + "\r\n");
                assertEquals("OK \"Logged in.\"", client.readLine());
                client.writeLine("LISTSCRIPTS");

                assertEquals("OK \"Listscripts completed.\"", client.readThrough("OK").getLast());
            }
            String login = LogFileWatch.awaitLine(backendLog(owner), offset,
                    line -> line.contains("managesieve-login: Info: Login: user=<" + user + ">"), LOG_WAIT)
                    .orElseThrow(() -> new AssertionError("no ManageSieve login of " + user + " in " + owner + ".log"));
            assertTrue(login.contains("rip=" + CLIENT_ADDRESS + ","), login);
            assertTrue(login.contains("session=<sieve-"), login);
        }
    }

    @Test
    void scriptStoredThroughProxy() throws Exception {
        String script = "require \"fileinto\";\r\nif header :contains \"subject\" \"test\" { fileinto \"Junk\"; }\r\n";
        try (LineClient client = connect()) {
            client.writeLine("AUTHENTICATE \"PLAIN\" \"" + plain(be2User, password(be2User)) + "\"");
            client.readLine();
            client.write("PUTSCRIPT \"mailpin-it\" {" + script.length() + "+}\r\n" + script + "\r\n");
            assertEquals("OK \"PUTSCRIPT completed.\"", client.readLine());
            client.writeLine("SETACTIVE \"mailpin-it\"");
            client.readLine();
            client.writeLine("LISTSCRIPTS");

            assertTrue(client.readThrough("OK").contains("\"mailpin-it\" ACTIVE"));
        }
    }

    @Test
    void greetingRepeatsBackendSieveExtensions() throws Exception {
        try (LineClient first = connect()) {
            first.writeLine("AUTHENTICATE \"PLAIN\" \"" + plain(be1User, password(be1User)) + "\"");
            first.readLine();
        }
        try (LineClient client = LineClient.connectFrom(CLIENT_ADDRESS, sievePort, null)) {
            List<String> greeting = client.readThrough("OK");

            assertTrue(greeting.stream().anyMatch(line -> line.startsWith("\"SIEVE\" \"fileinto ")), greeting.toString());
        }
    }

    @Test
    void wrongPasswordRelaysBackendError() throws Exception {
        try (LineClient client = connect()) {
            client.writeLine("AUTHENTICATE \"PLAIN\" \"" + plain(be1User, "wrong-password") + "\"");

            assertEquals("NO \"Authentication failed.\"", client.readLine());
        }
    }
}
