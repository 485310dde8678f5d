package org.mailpin.gateway.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mailpin.gateway.mail.ScriptedBackend;

/** The probe dialogs against loopback fakes that reply as Dovecot 2.3 does, or fail in one way each. */
@Timeout(30)
class MailProbeTest {

    private static final Duration TIMEOUT = Duration.ofMillis(300);
    private final MailProbe probe = new MailProbe(TIMEOUT, null);

    @Test
    void imapPassesGreetingCapabilityLogout() throws Exception {
        try (ScriptedBackend imap = new ScriptedBackend(peer -> {
            peer.send("* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE] Dovecot ready.");
            peer.readLine();
            peer.send("* CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE AUTH=PLAIN",
                    "h1 OK Pre-login capabilities listed, post-login capabilities have more.");
            peer.readLine();
            peer.send("* BYE Logging out", "h2 OK Logout completed.");
        })) {
            probe.check(ProbeProtocol.IMAP, "127.0.0.1", imap.port());

            assertEquals(List.of("h1 CAPABILITY", "h2 LOGOUT"), imap.received);
        }
    }

    @Test
    void pop3PassesGreetingCapaQuit() throws Exception {
        try (ScriptedBackend pop3 = new ScriptedBackend(peer -> {
            peer.send("+OK Dovecot ready.");
            peer.readLine();
            peer.send("+OK", "CAPA", "TOP", "UIDL", "RESP-CODES", "PIPELINING", "AUTH-RESP-CODE", "SASL PLAIN LOGIN", ".");
            peer.readLine();
            peer.send("+OK Logging out");
        })) {
            probe.check(ProbeProtocol.POP3, "127.0.0.1", pop3.port());

            assertEquals(List.of("CAPA", "QUIT"), pop3.received);
        }
    }

    @Test
    void sievePassesCapabilityGreetingLogout() throws Exception {
        try (ScriptedBackend sieve = new ScriptedBackend(peer -> {
            peer.send("\"IMPLEMENTATION\" \"Dovecot Pigeonhole\"", "\"SIEVE\" \"fileinto reject envelope\"",
                    "\"SASL\" \"PLAIN LOGIN\"", "\"VERSION\" \"1.0\"", "OK \"Dovecot ready.\"");
            peer.readLine();
            peer.send("OK \"Logout completed.\"");
        })) {
            probe.check(ProbeProtocol.SIEVE, "127.0.0.1", sieve.port());

            assertEquals(List.of("LOGOUT"), sieve.received);
        }
    }

    @Test
    void submissionPassesGreetingEhloQuit() throws Exception {
        try (ScriptedBackend submission = new ScriptedBackend(peer -> {
            peer.send("220 be1 Dovecot ready.");
            peer.readLine();
            peer.send("250-be1", "250-8BITMIME", "250-AUTH PLAIN LOGIN", "250 SIZE");
            peer.readLine();
            peer.send("221 2.0.0 Bye");
        })) {
            probe.check(ProbeProtocol.SUBMISSION, "127.0.0.1", submission.port());

            assertEquals(List.of("EHLO " + MailProbe.HELO_NAME, "QUIT"), submission.received);
        }
    }

    @Test
    void lmtpPassesGreetingLhloQuit() throws Exception {
        try (ScriptedBackend lmtp = new ScriptedBackend(peer -> {
            peer.send("220 be1 Dovecot ready.");
            peer.readLine();
            peer.send("250-be1", "250-8BITMIME", "250-ENHANCEDSTATUSCODES", "250 PIPELINING");
            peer.readLine();
            peer.send("221 2.0.0 be1 Client quit");
        })) {
            probe.check(ProbeProtocol.LMTP, "127.0.0.1", lmtp.port());

            assertEquals(List.of("LHLO " + MailProbe.HELO_NAME, "QUIT"), lmtp.received);
        }
    }

    @Test
    void refusedConnectNamesAddress() throws IOException {
        int port = ScriptedBackend.closedPort();

        ProbeFailedException failure = assertThrows(ProbeFailedException.class,
                () -> probe.check(ProbeProtocol.IMAP, "127.0.0.1", port));

        assertEquals("imap: connect to 127.0.0.1:" + port + " refused", failure.getMessage());
    }

    @Test
    void silentServerTimesOutAtGreeting() throws Exception {
        try (ScriptedBackend silent = new ScriptedBackend(peer -> peer.readLine())) {
            long start = System.nanoTime();
            ProbeFailedException failure = assertThrows(ProbeFailedException.class,
                    () -> probe.check(ProbeProtocol.POP3, "127.0.0.1", silent.port()));
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            assertEquals("pop3: greeting timed out after 300 ms", failure.getMessage());
            assertTrue(took.compareTo(Duration.ofSeconds(2)) < 0, "the probe took " + took);
        }
    }

    @Test
    void timeoutCoversWholeDialog() throws Exception {
        try (ScriptedBackend slow = new ScriptedBackend(peer -> {
            peer.send("* OK Dovecot ready.");
            peer.readLine();
            sleep(200);
            peer.send("* CAPABILITY IMAP4rev1");
            sleep(200);
            peer.send("h1 OK done");
            peer.readLine();
        })) {
            ProbeFailedException failure = assertThrows(ProbeFailedException.class,
                    () -> probe.check(ProbeProtocol.IMAP, "127.0.0.1", slow.port()));

            assertEquals("imap: CAPABILITY response timed out after 300 ms", failure.getMessage());
        }
    }

    @Test
    void byeGreetingRejected() throws Exception {
        try (ScriptedBackend full = new ScriptedBackend(peer -> peer.send("* BYE Too many connections"))) {
            ProbeFailedException failure = assertThrows(ProbeFailedException.class,
                    () -> probe.check(ProbeProtocol.IMAP, "127.0.0.1", full.port()));

            assertEquals("imap: unexpected greeting '* BYE Too many connections', expected * OK", failure.getMessage());
        }
    }

    @Test
    void imapCapabilityBadRejected() throws Exception {
        try (ScriptedBackend imap = new ScriptedBackend(peer -> {
            peer.send("* OK ready");
            peer.readLine();
            peer.send("h1 BAD Error in IMAP command");
        })) {
            ProbeFailedException failure = assertThrows(ProbeFailedException.class,
                    () -> probe.check(ProbeProtocol.IMAP, "127.0.0.1", imap.port()));

            assertEquals("imap: CAPABILITY failed: 'h1 BAD Error in IMAP command'", failure.getMessage());
        }
    }

    @Test
    void pop3ErrGreetingRejected() throws Exception {
        try (ScriptedBackend pop3 = new ScriptedBackend(peer -> peer.send("-ERR [SYS/TEMP] Service unavailable"))) {
            ProbeFailedException failure = assertThrows(ProbeFailedException.class,
                    () -> probe.check(ProbeProtocol.POP3, "127.0.0.1", pop3.port()));

            assertEquals("pop3: unexpected greeting '-ERR [SYS/TEMP] Service unavailable', expected +OK",
                    failure.getMessage());
        }
    }

    @Test
    void sieveByeRejected() throws Exception {
        try (ScriptedBackend sieve = new ScriptedBackend(peer -> peer.send("\"SIEVE\" \"fileinto\"",
                "BYE \"Too many connections\""))) {
            ProbeFailedException failure = assertThrows(ProbeFailedException.class,
                    () -> probe.check(ProbeProtocol.SIEVE, "127.0.0.1", sieve.port()));

            assertEquals("sieve: server rejected the session: 'BYE \"Too many connections\"'", failure.getMessage());
        }
    }

    @Test
    void smtpTemporaryGreetingRejected() throws Exception {
        try (ScriptedBackend submission = new ScriptedBackend(peer -> peer.send("421 4.3.2 Shutting down"))) {
            ProbeFailedException failure = assertThrows(ProbeFailedException.class,
                    () -> probe.check(ProbeProtocol.SUBMISSION, "127.0.0.1", submission.port()));

            assertEquals("submission: unexpected greeting '421 4.3.2 Shutting down', expected 220",
                    failure.getMessage());
        }
    }

    @Test
    void lmtpRejectedLhloNamed() throws Exception {
        try (ScriptedBackend lmtp = new ScriptedBackend(peer -> {
            peer.send("220 ready");
            peer.readLine();
            peer.send("500 5.5.1 Unknown command");
        })) {
            ProbeFailedException failure = assertThrows(ProbeFailedException.class,
                    () -> probe.check(ProbeProtocol.LMTP, "127.0.0.1", lmtp.port()));

            assertEquals("lmtp: unexpected LHLO response '500 5.5.1 Unknown command', expected 250", failure.getMessage());
        }
    }

    @Test
    void closeBeforeGreetingNamed() throws Exception {
        try (ScriptedBackend closing = new ScriptedBackend(peer -> { })) {
            ProbeFailedException failure = assertThrows(ProbeFailedException.class,
                    () -> probe.check(ProbeProtocol.IMAP, "127.0.0.1", closing.port()));

            assertEquals("imap: connection closed by the server while waiting for the greeting", failure.getMessage());
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
