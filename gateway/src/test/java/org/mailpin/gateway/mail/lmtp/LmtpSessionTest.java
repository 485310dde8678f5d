package org.mailpin.gateway.mail.lmtp;

import org.mailpin.gateway.mail.StubDirector;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mailpin.director.Backend;
import org.mailpin.director.BackendPorts;
import org.mailpin.gateway.mail.BackendConnector;
import org.mailpin.gateway.mail.MailServer;
import org.mailpin.gateway.mail.MailSettings;
import org.mailpin.gateway.mail.Protocol;
import org.mailpin.gateway.mail.ProxyContext;
import org.mailpin.gateway.metrics.GatewayMetrics;
import org.mailpin.gateway.metrics.Samples;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/** Drives the LMTP proxy over loopback against scripted backends. */
class LmtpSessionTest {

    private static final int MAX_BAD_COMMANDS = 3;

    private final StubDirector director = new StubDirector();
    private final GatewayMetrics metrics = new GatewayMetrics();
    private FakeLmtpBackend be1;
    private FakeLmtpBackend be2;
    private MailServer server;

    @BeforeEach
    void start() throws IOException {
        be1 = new FakeLmtpBackend("be1");
        be2 = new FakeLmtpBackend("be2");
        director.addBackend(be1.backend());
        director.addBackend(be2.backend());
        director.route("user01@example.test", "be1");
        director.route("user02@example.test", "be2");
        director.route("user03@example.test", "be1");
        director.route("user04@example.test", "be2");

        MailSettings settings = new MailSettings(List.of(new MailSettings.Listener(Protocol.LMTP, "127.0.0.1", 0)),
                null, null, false, Duration.ofMinutes(30), Duration.ofSeconds(20), 1024, MAX_BAD_COMMANDS,
                null, null, null);
        ProxyContext context = new ProxyContext(director, settings, null,
                new BackendConnector(null, Duration.ofSeconds(5)), null, null, null, "mx.test", metrics);
        server = new MailServer(context, Map.of(Protocol.LMTP, LmtpSession.factory(context)));
        server.start();
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
        be1.close();
        be2.close();
    }

    private LmtpTestClient connect() throws IOException {
        LmtpTestClient client = new LmtpTestClient(server.port(0));
        String greeting = client.reply();
        assertTrue(greeting.startsWith("220 mx.test "), greeting);
        return client;
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void lhloListsImplementedExtensions() throws IOException {
        try (LmtpTestClient client = connect()) {
            assertEquals("250-mx.test\n250-PIPELINING\n250-ENHANCEDSTATUSCODES\n250 8BITMIME",
                    client.command("LHLO mta.test"));
        }
    }

    @Test
    void repliesFollowRcptOrderAcrossBackends() throws IOException {
        be2.dataReply("user04@example.test", "452 4.2.2 Mailbox full");
        try (LmtpTestClient client = connect()) {
            client.startTransaction("sender@example.org");
            assertEquals("250 2.1.5 OK", client.command("RCPT TO:<user02@example.test>"));
            assertEquals("250 2.1.5 OK", client.command("RCPT TO:<user01@example.test>"));
            assertEquals("250 2.1.5 OK", client.command("RCPT TO:<user04@example.test>"));
            assertEquals("354", client.command("DATA").substring(0, 3));
            client.sendRaw(ascii("Subject: order\r\n\r\nbody\r\n.\r\n"));

            assertEquals("250 2.0.0 <user02@example.test> Saved on be2", client.reply());
            assertEquals("250 2.0.0 <user01@example.test> Saved on be1", client.reply());
            assertEquals("452 4.2.2 Mailbox full", client.reply());
        }
    }

    @Test
    void dataPassesThroughUnchanged() throws IOException {
        byte[] message = ascii("Subject: dots\r\n\r\n..leading dot, stuffed\r\n...\r\n"
                + "a line with a . inside\r\n.\r\n");
        try (LmtpTestClient client = connect()) {
            client.startTransaction("sender@example.org");
            client.command("RCPT TO:<user01@example.test>");
            client.command("RCPT TO:<user02@example.test>");
            client.command("DATA");
            client.sendRaw(message);
            client.reply();
            client.reply();
        }
        assertArrayEquals(message, be1.messages().get(0), "bytes at be1");
        assertArrayEquals(message, be2.messages().get(0), "bytes at be2");
    }

    @Test
    void emptyMessageEndsAtFirstDot() throws IOException {
        try (LmtpTestClient client = connect()) {
            client.startTransaction("sender@example.org");
            client.command("RCPT TO:<user01@example.test>");
            client.command("DATA");
            client.sendRaw(ascii(".\r\n"));
            assertEquals("250 2.0.0 <user01@example.test> Saved on be1", client.reply());
        }
        assertArrayEquals(ascii(".\r\n"), be1.messages().get(0));
    }

    @Test
    void pipelinedCommandAfterDataRuns() throws IOException {
        try (LmtpTestClient client = connect()) {
            client.startTransaction("sender@example.org");
            client.command("RCPT TO:<user01@example.test>");
            client.command("DATA");
            client.sendRaw(ascii("Subject: pipelined\r\n\r\nbody\r\n.\r\nNOOP\r\n"));
            assertEquals("250 2.0.0 <user01@example.test> Saved on be1", client.reply());
            assertEquals("250 2.0.0 OK", client.reply());
        }
        assertArrayEquals(ascii("Subject: pipelined\r\n\r\nbody\r\n.\r\n"), be1.messages().get(0));
    }

    @Test
    void deadBackendDefersOnlyItsRecipients() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        director.addBackend(new Backend("be3", "127.0.0.1", 100, "", new BackendPorts(0, 0, closedPort, 0, 0), null, true));
        director.route("user05@example.test", "be3");
        try (LmtpTestClient client = connect()) {
            client.startTransaction("sender@example.org");
            assertEquals("250 2.1.5 OK", client.command("RCPT TO:<user01@example.test>"));
            String deferred = client.command("RCPT TO:<user05@example.test>");
            assertTrue(deferred.startsWith("451 4.4.0 Backend be3 unavailable (connect failed)"), deferred);
            client.command("DATA");
            client.sendRaw(ascii("Subject: one dead\r\n\r\nbody\r\n.\r\n"));
            assertEquals("250 2.0.0 <user01@example.test> Saved on be1", client.reply());
            assertEquals("250 2.0.0 OK", client.command("NOOP"), "no second DATA reply came before NOOP's");
        }
    }

    @Test
    void backendLostInsideDataGets451() throws IOException {
        be2.closeInsideData();
        try (LmtpTestClient client = connect()) {
            client.startTransaction("sender@example.org");
            client.command("RCPT TO:<user01@example.test>");
            client.command("RCPT TO:<user02@example.test>");
            client.command("RCPT TO:<user03@example.test>");
            client.command("DATA");
            client.sendRaw(ascii("Subject: lost\r\n\r\nbody\r\n.\r\n"));

            assertEquals("250 2.0.0 <user01@example.test> Saved on be1", client.reply());
            String lost = client.reply();
            assertTrue(lost.startsWith("451 4.4.0 Backend be2 unavailable"), lost);
            assertEquals("250 2.0.0 <user03@example.test> Saved on be1", client.reply());
        }
    }

    @Test
    void clientLostInsideDataAbortsBackends() throws Exception {
        try (LmtpTestClient client = connect()) {
            client.startTransaction("sender@example.org");
            client.command("RCPT TO:<user01@example.test>");
            client.command("DATA");
            client.sendRaw(ascii("Subject: cut off\r\n\r\nthe first part"));
        }
        assertTrue(be1.awaitAbortedData(Duration.ofSeconds(10)), "be1 saw the DATA section end without its end line");
        assertEquals(List.of(), be1.messages());
    }

    @Test
    void backendRcptRejectionIsRelayed() throws IOException {
        be1.rcptReply("user03@example.test", "550 5.1.1 <user03@example.test> User doesn't exist");
        try (LmtpTestClient client = connect()) {
            client.startTransaction("sender@example.org");
            assertEquals("550 5.1.1 <user03@example.test> User doesn't exist",
                    client.command("RCPT TO:<user03@example.test>"));
            assertEquals("250 2.1.5 OK", client.command("RCPT TO:<user01@example.test>"));
            client.command("DATA");
            client.sendRaw(ascii("Subject: one unknown\r\n\r\nbody\r\n.\r\n"));
            assertEquals("250 2.0.0 <user01@example.test> Saved on be1", client.reply());
        }
    }

    @Test
    void deliveriesCountedByOutcome() throws IOException {
        be1.rcptReply("user03@example.test", "550 5.1.1 <user03@example.test> User doesn't exist");
        be2.dataReply("user04@example.test", "452 4.2.2 Mailbox full");
        try (LmtpTestClient client = connect()) {
            client.startTransaction("sender@example.org");
            client.command("RCPT TO:<user03@example.test>");
            client.command("RCPT TO:<user01@example.test>");
            client.command("RCPT TO:<user04@example.test>");
            client.command("DATA");
            client.sendRaw(ascii("Subject: outcomes\r\n\r\nbody\r\n.\r\n"));
            client.reply();
            client.reply();
            client.startTransaction("sender@example.org");
            client.command("RCPT TO:<user02@example.test>");
            client.command("RSET");
        }

        Samples samples = Samples.parse(metrics.scrape());
        assertEquals(1.0, samples.require("mailpin_lmtp_deliveries_total{result=\"delivered\"}"));
        assertEquals(1.0, samples.require("mailpin_lmtp_deliveries_total{result=\"deferred\"}"));
        assertEquals(1.0, samples.require("mailpin_lmtp_deliveries_total{result=\"rejected\"}"));
        assertEquals(1.0, samples.require("mailpin_lmtp_deliveries_total{result=\"unfinished\"}"));
    }

    @Test
    void backendReplyWithoutEnhancedCodeGetsOne() throws IOException {
        be1.rcptReply("user01@example.test", "550 No such user");
        try (LmtpTestClient client = connect()) {
            client.startTransaction("sender@example.org");
            assertEquals("550 5.0.0 No such user", client.command("RCPT TO:<user01@example.test>"));
        }
    }

    @Test
    void backend421BecomesRecipient451() throws IOException {
        be1.rcptReply("user01@example.test", "421 4.3.2 Shutting down");
        try (LmtpTestClient client = connect()) {
            client.startTransaction("sender@example.org");
            String reply = client.command("RCPT TO:<user01@example.test>");
            assertTrue(reply.startsWith("451 4.4.0 Backend be1 unavailable"), reply);
            assertEquals("250 2.0.0 OK", client.command("NOOP"), "the client connection stays open");
        }
    }

    @Test
    void userWithoutBackendGets451() throws IOException {
        try (LmtpTestClient client = connect()) {
            client.startTransaction("sender@example.org");
            assertEquals("451 4.4.0 No backend available for this recipient, try again later",
                    client.command("RCPT TO:<nobody@example.test>"));
        }
    }

    @Test
    void dataWithoutRecipientsIsRejected() throws IOException {
        try (LmtpTestClient client = connect()) {
            client.startTransaction("sender@example.org");
            client.command("RCPT TO:<nobody@example.test>");
            assertEquals("503 5.5.1 No valid recipients", client.command("DATA"));
        }
    }

    @Test
    void detailStaysInAddressButNotInRoute() throws IOException {
        try (LmtpTestClient client = connect()) {
            client.startTransaction("sender@example.org");
            assertEquals("250 2.1.5 OK", client.command("RCPT TO:<User02+News@Example.TEST>"));
        }
        assertEquals(List.of("user02@example.test"), director.assigned());
        assertTrue(be2.commands().contains("RCPT TO:<User02+News@Example.TEST>"), be2.commands().toString());
    }

    @Test
    void xclientForwardsClientAddress() throws IOException {
        try (LmtpTestClient client = connect()) {
            client.startTransaction("sender@example.org");
            client.command("RCPT TO:<user01@example.test>");
        }
        List<String> commands = be1.commands();
        String xclient = commands.get(1);
        assertTrue(xclient.startsWith("XCLIENT HELO=mta.test SESSION=lmtp-"), xclient);
        assertTrue(xclient.endsWith(" ADDR=127.0.0.1"), xclient);
        assertTrue(xclient.contains(" PORT="), xclient);
        assertEquals("LHLO mx.test", commands.get(2), "LHLO again after XCLIENT");
        assertEquals("MAIL FROM:<sender@example.org>", commands.get(3));
    }

    @Test
    void noXclientWithoutCapability() throws IOException {
        be1.capabilities(List.of("PIPELINING", "8BITMIME"));
        try (LmtpTestClient client = connect()) {
            client.startTransaction("sender@example.org");
            client.command("RCPT TO:<user01@example.test>");
        }
        assertEquals(List.of("LHLO mx.test", "MAIL FROM:<sender@example.org>", "RCPT TO:<user01@example.test>"),
                be1.commands().subList(0, 3));
    }

    @Test
    void mailParametersFollowBackendExtensions() throws IOException {
        try (LmtpTestClient client = connect()) {
            client.command("LHLO mta.test");
            assertEquals("250 2.1.0 OK", client.command("MAIL FROM:<sender@example.org> SIZE=1234 BODY=8BITMIME"));
            client.command("RCPT TO:<user01@example.test>");
        }
        assertTrue(be1.commands().contains("MAIL FROM:<sender@example.org> BODY=8BITMIME"), be1.commands().toString());
    }

    @Test
    void nullSenderIsForwarded() throws IOException {
        try (LmtpTestClient client = connect()) {
            client.command("LHLO mta.test");
            assertEquals("250 2.1.0 OK", client.command("MAIL FROM:<>"));
            client.command("RCPT TO:<user01@example.test>");
        }
        assertTrue(be1.commands().contains("MAIL FROM:<>"), be1.commands().toString());
    }

    @Test
    void rsetEndsTransaction() throws IOException {
        try (LmtpTestClient client = connect()) {
            client.startTransaction("first@example.org");
            client.command("RCPT TO:<user01@example.test>");
            assertEquals("250 2.0.0 OK", client.command("RSET"));
            assertEquals("503 5.5.1 Send MAIL FROM first", client.command("RCPT TO:<user01@example.test>"));
            assertEquals("250 2.1.0 OK", client.command("MAIL FROM:<second@example.org>"));
        }
    }

    @Test
    void transactionsFollowEachOther() throws IOException {
        try (LmtpTestClient client = connect()) {
            for (int i = 1; i <= 3; i++) {
                client.startTransaction("sender" + i + "@example.org");
                client.command("RCPT TO:<user01@example.test>");
                client.command("DATA");
                client.sendRaw(ascii("Subject: " + i + "\r\n\r\nbody\r\n.\r\n"));
                assertEquals("250 2.0.0 <user01@example.test> Saved on be1", client.reply(), "message " + i);
            }
        }
        assertEquals(3, be1.messages().size());
    }

    @Test
    void sequenceErrorsAreRejected() throws IOException {
        try (LmtpTestClient client = connect()) {
            assertEquals("503 5.5.1 Send LHLO first", client.command("MAIL FROM:<a@example.org>"));
            client.command("LHLO mta.test");
            assertEquals("503 5.5.1 Send MAIL FROM first", client.command("DATA"));
        }
    }

    @Test
    void tooManyBadCommandsClose() throws IOException {
        try (LmtpTestClient client = connect()) {
            for (int i = 1; i < MAX_BAD_COMMANDS; i++) {
                assertEquals("500 5.5.2 Unknown command", client.command("FOO"), "bad command " + i);
            }
            assertEquals("500 5.5.1 This is LMTP: use LHLO", client.command("EHLO mta.test"));
            assertTrue(client.reply().startsWith("421 4.7.0 "));
            assertNull(client.reply(), "connection closed");
        }
    }

    @Test
    void nulInAddressIsRejected() throws IOException {
        try (LmtpTestClient client = connect()) {
            client.startTransaction("sender@example.org");
            assertEquals("500 5.5.2 Invalid character in the command line",
                    client.command("RCPT TO:<user01@example.test\0>"));
        }
        assertEquals(List.of(), director.assigned());
    }

    @Test
    void bareLfInCommandCloses() throws IOException {
        try (LmtpTestClient client = connect()) {
            client.sendRaw(ascii("LHLO mta.test\nMAIL FROM:<a@example.org>\r\n"));
            assertEquals("500 5.5.2 Lines must end with CRLF, closing connection", client.reply());
            assertNull(client.reply(), "connection closed");
        }
    }

    @Test
    void longLineCloses() throws IOException {
        try (LmtpTestClient client = connect()) {
            String reply = client.command("NOOP " + "x".repeat(2000));
            assertEquals("500 5.5.6 Line longer than 1024 bytes, closing connection", reply);
        }
    }

    @Test
    void vrfyAnswers252() throws IOException {
        try (LmtpTestClient client = connect()) {
            assertEquals("252 2.3.3 Try RCPT instead", client.command("VRFY user01"));
        }
    }

    @Test
    void quitCloses() throws IOException {
        try (LmtpTestClient client = connect()) {
            assertEquals("221 2.0.0 mx.test closing connection", client.command("QUIT"));
            assertNull(client.reply());
        }
    }

    @Test
    void outcomeLoggedPerRecipient() throws IOException {
        Logger logger = (Logger) LoggerFactory.getLogger(LmtpSession.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try (LmtpTestClient client = connect()) {
            client.startTransaction("sender@example.org");
            client.command("RCPT TO:<user01+x@example.test>");
            client.command("RCPT TO:<nobody@example.test>");
            client.command("DATA");
            client.sendRaw(ascii("Subject: secret subject\r\n\r\nsecret body\r\n.\r\n"));
            client.reply();
        } finally {
            logger.detachAppender(appender);
        }
        List<ILoggingEvent> events = appender.list;
        assertEquals(2, events.size(), events.toString());
        assertEquals("lmtp rcpt=nobody@example.test user=nobody@example.test backend=- result=451 4.4.0 "
                + "No backend available for this recipient, try again later", events.get(0).getFormattedMessage());
        assertEquals("lmtp rcpt=user01+x@example.test user=user01@example.test backend=be1 result=250 2.0.0 "
                + "<user01+x@example.test> Saved on be1", events.get(1).getFormattedMessage());
        assertTrue(events.get(1).getMDCPropertyMap().get("conn").startsWith("lmtp-"), "connection id in the MDC");
        assertTrue(events.stream().noneMatch(e -> e.getFormattedMessage().contains("secret")), "no message content");
    }
}
