package org.mailpin.gateway.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.mailpin.director.Backend;
import org.mailpin.director.BackendPorts;
import org.mailpin.gateway.doctor.FakeBackend.Inbox;
import org.mailpin.gateway.mail.ScriptedBackend;
import org.mailpin.gateway.mail.sasl.Credentials;

class BackendCheckerTest {

    private static final Credentials LOGIN = Credentials.of("user01@example.test", "secret01");
    private static final Inbox INBOX = new Inbox(1712345678L, 3, null);

    @Test
    void imapRejectionSkipsPop3AndSieve() throws Exception {
        try (ScriptedBackend imap = new ScriptedBackend(FakeBackend.imap(FakeBackend.IMAP_REJECTED, INBOX));
             ScriptedBackend pop3 = new ScriptedBackend(FakeBackend.pop3(FakeBackend.POP3_REJECTED));
             ScriptedBackend sieve = new ScriptedBackend(FakeBackend.sieve("PLAIN", FakeBackend.SIEVE_REJECTED))) {

            BackendReport report = check(imap.port(), pop3.port(), sieve.port());

            assertEquals(List.of(CheckStatus.REJECTED, CheckStatus.NOT_TRIED, CheckStatus.NOT_TRIED), statuses(report));
            assertEquals("not tried: IMAP login rejected", report.checks().get(1).problem());
            assertEquals("not tried: IMAP login rejected", report.checks().get(2).problem());
            assertEquals(List.of(), pop3.received, "POP3 commands");
            assertEquals(List.of(), sieve.received, "ManageSieve commands");
        }
    }

    @Test
    void pop3RejectionSkipsSieve() throws Exception {
        try (ScriptedBackend pop3 = new ScriptedBackend(FakeBackend.pop3(FakeBackend.POP3_REJECTED));
             ScriptedBackend sieve = new ScriptedBackend(FakeBackend.sieve("PLAIN", FakeBackend.SIEVE_REJECTED))) {

            BackendReport report = check(0, pop3.port(), sieve.port());

            assertEquals(List.of(CheckStatus.REJECTED, CheckStatus.NOT_TRIED), statuses(report));
            assertEquals("not tried: POP3 login rejected", report.checks().get(1).problem());
            assertEquals(List.of(), sieve.received, "ManageSieve commands");
        }
    }

    @Test
    void acceptedLoginsCheckEveryService() throws Exception {
        try (ScriptedBackend imap = new ScriptedBackend(FakeBackend.imap(FakeBackend.imapAccepted(INBOX), INBOX));
             ScriptedBackend pop3 = new ScriptedBackend(FakeBackend.pop3("+OK Logged in."));
             ScriptedBackend sieve = new ScriptedBackend(FakeBackend.sieve("PLAIN", "OK \"Logged in.\""))) {

            BackendReport report = check(imap.port(), pop3.port(), sieve.port());

            assertEquals(List.of(CheckStatus.ACCEPTED, CheckStatus.ACCEPTED, CheckStatus.ACCEPTED), statuses(report));
        }
    }

    @Test
    void unreachableImapStillTriesPop3() throws Exception {
        try (ScriptedBackend pop3 = new ScriptedBackend(FakeBackend.pop3("+OK Logged in."))) {

            BackendReport report = check(ScriptedBackend.closedPort(), pop3.port(), 0);

            assertEquals(List.of(CheckStatus.UNREACHABLE, CheckStatus.ACCEPTED), statuses(report));
            assertTrue(pop3.received.contains("USER user01@example.test"), pop3.received.toString());
        }
    }

    private static BackendReport check(int imapPort, int pop3Port, int sievePort) {
        Backend backend = new Backend("be1", "127.0.0.1", 100, "",
                new BackendPorts(imapPort, pop3Port, 0, sievePort, 0), null, true);
        return new BackendChecker(LOGIN, Duration.ofSeconds(10), null).check(backend);
    }

    private static List<CheckStatus> statuses(BackendReport report) {
        return report.checks().stream().map(ServiceCheck::status).toList();
    }
}
