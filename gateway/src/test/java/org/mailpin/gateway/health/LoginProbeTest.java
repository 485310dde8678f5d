package org.mailpin.gateway.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mailpin.gateway.mail.ScriptedBackend;

/** The probe login through Angus Mail against a loopback IMAP fake. */
@Timeout(30)
class LoginProbeTest {

    private static final String PASSWORD = "probe-secret-7";

    @Test
    void acceptedLoginPasses() throws Exception {
        try (ScriptedBackend imap = new ScriptedBackend(peer -> answer(peer, true))) {
            new LoginProbe("probe@example.test", PASSWORD, Duration.ofSeconds(2), null).check("127.0.0.1", imap.port());

            assertTrue(imap.received.stream().anyMatch(line -> line.endsWith("LOGIN probe@example.test " + PASSWORD)),
                    imap.received.toString());
            assertTrue(imap.received.stream().anyMatch(line -> line.endsWith(" LOGOUT")), imap.received.toString());
        }
    }

    @Test
    void rejectedLoginKeepsServerText() throws Exception {
        try (ScriptedBackend imap = new ScriptedBackend(peer -> answer(peer, false))) {
            LoginProbe probe = new LoginProbe("probe@example.test", PASSWORD, Duration.ofSeconds(2), null);

            ProbeFailedException failure = assertThrows(ProbeFailedException.class,
                    () -> probe.check("127.0.0.1", imap.port()));

            assertEquals("probe login: NO [AUTHENTICATIONFAILED] Authentication failed.", failure.getMessage());
            assertFalse(failure.getMessage().contains(PASSWORD));
        }
    }

    @Test
    void refusedConnectNamesAddress() throws Exception {
        int port = ScriptedBackend.closedPort();
        LoginProbe probe = new LoginProbe("probe@example.test", PASSWORD, Duration.ofSeconds(2), null);

        ProbeFailedException failure = assertThrows(ProbeFailedException.class, () -> probe.check("127.0.0.1", port));

        assertTrue(failure.getMessage().startsWith("probe login as probe@example.test on 127.0.0.1:" + port
                + " failed: ConnectException"), failure.getMessage());
        assertFalse(failure.getMessage().contains(PASSWORD));
    }

    // Replies as Dovecot does before and after LOGIN, without AUTH= mechanisms so the client uses LOGIN.
    private static void answer(ScriptedBackend.Peer peer, boolean accept) throws IOException {
        peer.send("* OK [CAPABILITY IMAP4rev1] Dovecot ready.");
        String line;
        while ((line = peer.readLine()) != null) {
            String tag = line.substring(0, line.indexOf(' '));
            String command = line.substring(tag.length() + 1).split(" ")[0].toUpperCase(java.util.Locale.ROOT);
            switch (command) {
                case "CAPABILITY" -> peer.send("* CAPABILITY IMAP4rev1", tag + " OK Capability completed.");
                case "LOGIN" -> peer.send(accept ? tag + " OK [CAPABILITY IMAP4rev1] Logged in"
                        : tag + " NO [AUTHENTICATIONFAILED] Authentication failed.");
                case "LOGOUT" -> {
                    peer.send("* BYE Logging out", tag + " OK Logout completed.");
                    return;
                }
                default -> peer.send(tag + " OK done");
            }
        }
    }
}
