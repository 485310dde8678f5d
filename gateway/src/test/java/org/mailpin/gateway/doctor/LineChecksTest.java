package org.mailpin.gateway.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.mailpin.gateway.mail.ScriptedBackend;
import org.mailpin.gateway.mail.sasl.Credentials;

/** The POP3 and ManageSieve checks, which share a line client. */
class LineChecksTest {

    private static final Credentials LOGIN = Credentials.of("user01@example.test", "secret01");

    @Test
    void pop3AcceptedLogin() throws Exception {
        try (ScriptedBackend backend = new ScriptedBackend(FakeBackend.pop3("+OK Logged in."));
             Deadline deadline = new Deadline(Duration.ofSeconds(10), null)) {

            ServiceCheck check = Pop3Check.run("127.0.0.1", backend.port(), LOGIN, deadline);

            assertEquals(CheckStatus.ACCEPTED, check.status(), check.toString());
            assertEquals("+OK Dovecot (Debian) ready.", check.greeting());
            assertEquals("+OK Logged in.", check.reply());
            assertTrue(backend.received.contains("USER user01@example.test"), backend.received.toString());
            assertTrue(backend.received.contains("QUIT"), backend.received.toString());
        }
    }

    @Test
    void pop3RejectedLoginQuotesBackend() throws Exception {
        try (ScriptedBackend backend = new ScriptedBackend(FakeBackend.pop3(FakeBackend.POP3_REJECTED));
             Deadline deadline = new Deadline(Duration.ofSeconds(10), null)) {

            ServiceCheck check = Pop3Check.run("127.0.0.1", backend.port(), LOGIN, deadline);

            assertEquals(CheckStatus.REJECTED, check.status());
            assertEquals("-ERR [AUTH] Authentication failed.", check.reply());
        }
    }

    @Test
    void pop3BadGreetingFails() throws Exception {
        try (ScriptedBackend backend = new ScriptedBackend(peer -> peer.send("-ERR [SYS/TEMP] Server shutting down."));
             Deadline deadline = new Deadline(Duration.ofSeconds(10), null)) {

            ServiceCheck check = Pop3Check.run("127.0.0.1", backend.port(), LOGIN, deadline);

            assertEquals(CheckStatus.FAILED, check.status());
            assertEquals("-ERR [SYS/TEMP] Server shutting down.", check.greeting());
        }
    }

    @Test
    void sieveAcceptedLogin() throws Exception {
        try (ScriptedBackend backend = new ScriptedBackend(FakeBackend.sieve("PLAIN LOGIN", "OK \"Logged in.\""));
             Deadline deadline = new Deadline(Duration.ofSeconds(10), null)) {

            ServiceCheck check = SieveCheck.run("127.0.0.1", backend.port(), LOGIN, deadline);

            assertEquals(CheckStatus.ACCEPTED, check.status(), check.toString());
            assertEquals("OK \"Dovecot (Debian) ready.\"", check.greeting());
            assertEquals("OK \"Logged in.\"", check.reply());
            assertTrue(backend.received.contains("AUTHENTICATE \"PLAIN\" \"AHVzZXIwMUBleGFtcGxlLnRlc3QAc2VjcmV0MDE=\""),
                    backend.received.toString());
        }
    }

    @Test
    void sieveRejectedLoginQuotesBackend() throws Exception {
        try (ScriptedBackend backend = new ScriptedBackend(FakeBackend.sieve("PLAIN", FakeBackend.SIEVE_REJECTED));
             Deadline deadline = new Deadline(Duration.ofSeconds(10), null)) {

            ServiceCheck check = SieveCheck.run("127.0.0.1", backend.port(), LOGIN, deadline);

            assertEquals(CheckStatus.REJECTED, check.status());
            assertEquals("NO \"Authentication failed.\"", check.reply());
        }
    }

    @Test
    void sieveLiteralReplyRead() throws Exception {
        try (ScriptedBackend backend = new ScriptedBackend(FakeBackend.sieve("PLAIN", "NO {9}\r\nTry later"));
             Deadline deadline = new Deadline(Duration.ofSeconds(10), null)) {

            ServiceCheck check = SieveCheck.run("127.0.0.1", backend.port(), LOGIN, deadline);

            assertEquals(CheckStatus.REJECTED, check.status(), check.toString());
            assertEquals("NO {9}\r\nTry later", check.reply());
        }
    }

    @Test
    void sieveWithoutPlainFails() throws Exception {
        try (ScriptedBackend backend = new ScriptedBackend(FakeBackend.sieve("", "OK"));
             Deadline deadline = new Deadline(Duration.ofSeconds(10), null)) {

            ServiceCheck check = SieveCheck.run("127.0.0.1", backend.port(), LOGIN, deadline);

            assertEquals(CheckStatus.FAILED, check.status());
            assertTrue(check.problem().contains("does not offer SASL PLAIN"), check.problem());
        }
    }

    @Test
    void budgetSpentLeavesRestUnchecked() throws Exception {
        try (ScriptedBackend silent = new ScriptedBackend(FakeBackend.silent())) {
            org.mailpin.director.Backend backend = new org.mailpin.director.Backend("be1", "127.0.0.1", 100, "",
                    new org.mailpin.director.BackendPorts(silent.port(), silent.port(), 0, silent.port(), 0), null, true);

            BackendReport report = new BackendChecker(LOGIN, Duration.ofSeconds(1), null).check(backend);

            assertEquals(3, report.checks().size(), report.toString());
            assertEquals(CheckStatus.UNREACHABLE, report.checks().get(0).status());
            assertEquals(CheckStatus.NOT_CHECKED, report.checks().get(1).status());
            assertEquals(CheckStatus.NOT_CHECKED, report.checks().get(2).status());
        }
    }
}
