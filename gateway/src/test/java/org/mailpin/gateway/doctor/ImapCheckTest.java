package org.mailpin.gateway.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.mailpin.gateway.doctor.FakeBackend.Inbox;
import org.mailpin.gateway.mail.ScriptedBackend;
import org.mailpin.gateway.mail.sasl.Credentials;

class ImapCheckTest {

    private static final Credentials LOGIN = Credentials.of("user01@example.test", "secret01");

    @Test
    void acceptedLoginReadsInbox() throws Exception {
        Inbox inbox = new Inbox(1712345678L, 3, null);
        try (ScriptedBackend backend = new ScriptedBackend(FakeBackend.imap(FakeBackend.imapAccepted(inbox), inbox));
             Deadline deadline = new Deadline(Duration.ofSeconds(10), null)) {

            ServiceCheck check = ImapCheck.run("127.0.0.1", backend.port(), LOGIN, deadline);

            assertEquals(CheckStatus.ACCEPTED, check.status(), check.toString());
            assertEquals(FakeBackend.IMAP_GREETING, check.greeting());
            assertEquals(FakeBackend.imapAccepted(inbox), check.reply());
            assertEquals(1712345678L, check.mailbox().uidValidity());
            assertEquals(3L, check.mailbox().messages());
            assertEquals("no quota", check.mailbox().quotaText());
            assertNull(check.problem());
            assertTrue(backend.received.stream().anyMatch(l -> l.endsWith("EXAMINE INBOX")), backend.received.toString());
        }
    }

    @Test
    void quotaReadWithQuotaCapability() throws Exception {
        Inbox inbox = new Inbox(7, 1, "STORAGE 10 1024 MESSAGE 1 1000");
        try (ScriptedBackend backend = new ScriptedBackend(FakeBackend.imap(FakeBackend.imapAccepted(inbox), inbox));
             Deadline deadline = new Deadline(Duration.ofSeconds(10), null)) {

            ServiceCheck check = ImapCheck.run("127.0.0.1", backend.port(), LOGIN, deadline);

            assertEquals(List.of(new QuotaUsage("User quota", "STORAGE", 10, 1024),
                    new QuotaUsage("User quota", "MESSAGE", 1, 1000)), check.mailbox().quota());
        }
    }

    @Test
    void rejectedLoginQuotesBackend() throws Exception {
        Inbox inbox = new Inbox(7, 1, null);
        try (ScriptedBackend backend = new ScriptedBackend(FakeBackend.imap(FakeBackend.IMAP_REJECTED, inbox));
             Deadline deadline = new Deadline(Duration.ofSeconds(10), null)) {

            ServiceCheck check = ImapCheck.run("127.0.0.1", backend.port(), LOGIN, deadline);

            assertEquals(CheckStatus.REJECTED, check.status());
            assertEquals("NO [AUTHENTICATIONFAILED] Authentication failed.", check.reply());
            assertNull(check.mailbox());
        }
    }

    @Test
    void closedPortUnreachable() throws Exception {
        try (Deadline deadline = new Deadline(Duration.ofSeconds(10), null)) {

            ServiceCheck check = ImapCheck.run("127.0.0.1", ScriptedBackend.closedPort(), LOGIN, deadline);

            assertEquals(CheckStatus.UNREACHABLE, check.status());
            assertEquals("connection refused", check.problem());
            assertNull(check.greeting());
        }
    }

    @Test
    void silentBackendTimesOutWithinBudget() throws Exception {
        try (ScriptedBackend backend = new ScriptedBackend(FakeBackend.silent());
             Deadline deadline = new Deadline(Duration.ofSeconds(1), null)) {
            long start = System.nanoTime();

            ServiceCheck check = ImapCheck.run("127.0.0.1", backend.port(), LOGIN, deadline);

            long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
            assertEquals(CheckStatus.UNREACHABLE, check.status());
            assertEquals("timed out: the 1 s for this backend ran out", check.problem());
            assertTrue(millis < 5000, "took " + millis + " ms");
        }
    }

    @Test
    void passwordNotInReport() throws Exception {
        Inbox inbox = new Inbox(7, 1, null);
        try (ScriptedBackend backend = new ScriptedBackend(FakeBackend.imap(FakeBackend.IMAP_REJECTED, inbox));
             Deadline deadline = new Deadline(Duration.ofSeconds(10), null)) {

            ServiceCheck check = ImapCheck.run("127.0.0.1", backend.port(), LOGIN, deadline);

            assertTrue(!check.toString().contains("secret01"), check.toString());
        }
    }
}
