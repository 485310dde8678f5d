package org.mailpin.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchService;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.mailpin.director.Director;

/**
 * The LMTP proxy against two real Dovecot 2.3 backends that share one Maildir tree: per-recipient
 * routing, one stored copy per user, a large message, and a backend that is down. The last test
 * stops be2, so it runs last.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LmtpProxyIT {

    private static final Duration LOG_WAIT = Duration.ofSeconds(10);

    private static Topology topology;
    private static int lmtpPort;
    private static String be1User;
    private static String be2User;

    @BeforeAll
    static void start() throws Exception {
        lmtpPort = Topology.freePort();
        topology = Topology.start("separate", """
                mail:
                  listeners:
                    - protocol: lmtp
                      listen: 127.0.0.1:%d
                """.formatted(lmtpPort));
        Director director = topology.gateway.director();
        for (int i = 1; i <= Topology.USERS && (be1User == null || be2User == null); i++) {
            String user = Topology.user(i);
            String backendId = director.assign(user).backendId();
            if (backendId.equals("be1") && be1User == null) {
                be1User = user;
            } else if (backendId.equals("be2") && be2User == null) {
                be2User = user;
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

    @Test
    @Order(1)
    void deliversToEachOwnerBackend() throws Exception {
        Set<String> be1Before = newMessages(be1User);
        Set<String> be2Before = newMessages(be2User);
        String messageId = messageId("two-backends");

        try (LogCapture logs = new LogCapture(); Lmtp lmtp = new Lmtp()) {
            lmtp.startTransaction();
            assertReply("250", lmtp.command("RCPT TO:<" + be1User + ">"));
            assertReply("250", lmtp.command("RCPT TO:<" + be2User + ">"));
            assertReply("354", lmtp.command("DATA"));
            lmtp.sendMessage(shortMessage(messageId));
            assertReply("250 2.0.0", lmtp.reply());
            assertReply("250 2.0.0", lmtp.reply());

            assertTrue(logs.text().contains("lmtp rcpt=" + be1User + " user=" + be1User + " backend=be1 result=250 2.0.0"),
                    logs.text());
            assertTrue(logs.text().contains("lmtp rcpt=" + be2User + " user=" + be2User + " backend=be2 result=250 2.0.0"),
                    logs.text());
        }

        assertEquals(1, added(be1User, be1Before).size(), "new messages of " + be1User);
        assertEquals(1, added(be2User, be2Before).size(), "new messages of " + be2User);
        String be1Line = awaitLogLine("be1", line -> line.contains(messageId) && line.contains("saved mail to INBOX"));
        assertTrue(be1Line.contains("lmtp(" + be1User + ")"), be1Line);
        assertTrue(be1Line.contains("backend=be1"), be1Line);
        // The session id comes from the proxy's XCLIENT; Dovecot's own ids are base64 and have no '-'.
        assertTrue(be1Line.contains("><lmtp-"), be1Line);
        String be2Line = awaitLogLine("be2", line -> line.contains(messageId) && line.contains("saved mail to INBOX"));
        assertTrue(be2Line.contains("lmtp(" + be2User + ")"), be2Line);
        assertTrue(be2Line.contains("backend=be2"), be2Line);
    }

    @Test
    @Order(2)
    void detailAddressReachesUser() throws Exception {
        Set<String> before = newMessages(be1User);
        String detailAddress = be1User.replace("@", "+news@");

        try (Lmtp lmtp = new Lmtp()) {
            lmtp.startTransaction();
            assertReply("250", lmtp.command("RCPT TO:<" + detailAddress + ">"));
            assertReply("354", lmtp.command("DATA"));
            lmtp.sendMessage(shortMessage(messageId("detail")));
            assertReply("250 2.0.0", lmtp.reply());
        }

        assertEquals(1, added(be1User, before).size(), "new messages of " + be1User);
    }

    @Test
    @Order(3)
    void largeMessageArrivesIntact() throws Exception {
        Set<String> be1Before = newMessages(be1User);
        Set<String> be2Before = newMessages(be2User);
        String marker = "X-Mailpin-Test: large-" + System.nanoTime();
        byte[] expectedDigest;

        try (Lmtp lmtp = new Lmtp()) {
            lmtp.startTransaction();
            assertReply("250", lmtp.command("RCPT TO:<" + be1User + ">"));
            assertReply("250", lmtp.command("RCPT TO:<" + be2User + ">"));
            assertReply("354", lmtp.command("DATA"));
            expectedDigest = lmtp.sendLargeMessage(marker, 20 * 1024 * 1024);
            assertReply("250 2.0.0", lmtp.reply());
            assertReply("250 2.0.0", lmtp.reply());
        }

        for (String user : List.of(be1User, be2User)) {
            Set<String> added = added(user, user.equals(be1User) ? be1Before : be2Before);
            assertEquals(1, added.size(), "new messages of " + user);
            Path file = newFolder(user).resolve(added.iterator().next());
            assertEquals(HexFormat.of().formatHex(expectedDigest), HexFormat.of().formatHex(storedDigest(file, marker)),
                    "SHA-256 of the message stored for " + user);
        }
    }

    @Test
    @Order(4)
    void downBackendDefersOnlyItsRecipients() throws Exception {
        topology.stopBackend("be2");
        Set<String> be1Before = newMessages(be1User);
        Set<String> be2Before = newMessages(be2User);

        try (LogCapture logs = new LogCapture(); Lmtp lmtp = new Lmtp()) {
            lmtp.startTransaction();
            assertReply("250", lmtp.command("RCPT TO:<" + be1User + ">"));
            assertReply("451 4.4.0", lmtp.command("RCPT TO:<" + be2User + ">"));
            assertReply("354", lmtp.command("DATA"));
            lmtp.sendMessage(shortMessage(messageId("be2-down")));
            assertReply("250 2.0.0", lmtp.reply());
            assertReply("250", lmtp.command("NOOP"));

            assertTrue(logs.text().contains("lmtp rcpt=" + be2User + " user=" + be2User + " backend=be2 result=451 4.4.0"),
                    logs.text());
        }

        assertEquals(1, added(be1User, be1Before).size(), "new messages of " + be1User);
        assertEquals(0, added(be2User, be2Before).size(), "new messages of " + be2User);
    }

    private static String messageId(String test) {
        return "<lmtp-it-" + test + "-" + System.nanoTime() + "@example.test>";
    }

    private static String shortMessage(String messageId) {
        return "From: sender@example.org\r\nSubject: LMTP proxy test\r\nMessage-ID: " + messageId
                + "\r\n\r\nDelivered through the Mailpin LMTP proxy.\r\n..A line that starts with a dot.\r\n";
    }

    private static void assertReply(String expectedStart, String reply) {
        assertNotNull(reply, "expected " + expectedStart + "..., but the connection closed");
        assertTrue(reply.startsWith(expectedStart), "expected " + expectedStart + "..., got " + reply);
    }

    private static Path newFolder(String user) {
        String local = user.substring(0, user.indexOf('@'));
        return topology.state.resolve("mail/example.test/" + local + "/Maildir/new");
    }

    private static Set<String> newMessages(String user) throws IOException {
        try (Stream<Path> files = Files.list(newFolder(user))) {
            return files.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        }
    }

    private static Set<String> added(String user, Set<String> before) throws IOException {
        Set<String> now = newMessages(user);
        now.removeAll(before);
        return now;
    }

    // Returns the SHA-256 of the stored message from the marker line on, which skips the
    // Return-Path, Delivered-To and Received headers that Dovecot adds on top.
    private static byte[] storedDigest(Path file, String marker) throws Exception {
        byte[] stored = Files.readAllBytes(file);
        byte[] start = (marker + "\n").getBytes(StandardCharsets.US_ASCII);
        int offset = indexOf(stored, start);
        assertTrue(offset >= 0, "marker line not found in " + file);
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        digest.update(stored, offset, stored.length - offset);
        return digest.digest();
    }

    private static int indexOf(byte[] data, byte[] pattern) {
        outer:
        for (int i = 0; i + pattern.length <= data.length && i < 64 * 1024; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (data[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    // Dovecot writes its log through a separate log process, so a line can appear just after the
    // reply that the delivery caused. This waits for file changes instead of a fixed delay.
    private static String awaitLogLine(String backendId, Predicate<String> match) throws Exception {
        Path logs = topology.state.resolve("logs");
        long deadline = System.nanoTime() + LOG_WAIT.toNanos();
        try (WatchService watcher = FileSystems.getDefault().newWatchService()) {
            logs.register(watcher, StandardWatchEventKinds.ENTRY_MODIFY);
            while (true) {
                for (String line : topology.backendLog(backendId).split("\n")) {
                    if (match.test(line)) {
                        return line;
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("no matching line in the log of " + backendId + " within " + LOG_WAIT
                            + "; its end:\n" + tail(topology.backendLog(backendId)));
                }
                var key = watcher.poll(left, TimeUnit.NANOSECONDS);
                if (key != null) {
                    key.pollEvents();
                    key.reset();
                }
            }
        }
    }

    private static String tail(String text) {
        return text.length() <= 4000 ? text : text.substring(text.length() - 4000);
    }

    /** An LMTP client that reads one reply per accepted recipient after DATA (RFC 2033). */
    private static final class Lmtp implements AutoCloseable {

        private final Socket socket = new Socket();
        private final InputStream in;
        private final OutputStream out;

        Lmtp() throws IOException {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), lmtpPort), 5000);
            // Storing the large message twice with fsync takes a few seconds.
            socket.setSoTimeout(120_000);
            in = socket.getInputStream();
            out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
            assertReply("220", reply());
        }

        void startTransaction() throws IOException {
            assertReply("250", command("LHLO it.example.test"));
            assertReply("250", command("MAIL FROM:<sender@example.org>"));
        }

        String command(String line) throws IOException {
            out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return reply();
        }

        /** Sends a message whose lines are already dot-stuffed, and the end line. */
        void sendMessage(String message) throws IOException {
            out.write((message + ".\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }

        /**
         * Sends a generated message of about {@code size} bytes: the marker header, a blank line,
         * then numbered lines of which every 50th starts with a dot. It is generated while sending,
         * so the test keeps no copy.
         *
         * @return the SHA-256 of the message as Maildir stores it: dots unstuffed, lines ended by LF
         */
        byte[] sendLargeMessage(String marker, int size) throws Exception {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            List<String> header = new ArrayList<>(List.of(marker, "From: sender@example.org",
                    "Subject: large LMTP proxy test", ""));
            for (String line : header) {
                writeLine(line, digest);
            }
            long sent = 0;
            for (int i = 0; sent < size; i++) {
                String line = (i % 50 == 0 ? "." : "") + "%08d ".formatted(i)
                        + "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-=+_";
                writeLine(line, digest);
                sent += line.length() + 2;
            }
            out.write(".\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return digest.digest();
        }

        private void writeLine(String line, MessageDigest digest) throws IOException {
            byte[] bytes = line.getBytes(StandardCharsets.US_ASCII);
            if (line.startsWith(".")) {
                out.write('.');
            }
            out.write(bytes);
            out.write('\r');
            out.write('\n');
            digest.update(bytes);
            digest.update((byte) '\n');
        }

        /** Reads one reply, joining the lines of a multi-line reply with LF; null when the server closed. */
        String reply() throws IOException {
            StringBuilder reply = new StringBuilder();
            while (true) {
                ByteArrayOutputStream line = new ByteArrayOutputStream();
                int b;
                while ((b = in.read()) >= 0 && b != '\n') {
                    line.write(b);
                }
                if (b < 0) {
                    return reply.isEmpty() ? null : reply.toString();
                }
                String text = line.toString(StandardCharsets.UTF_8).stripTrailing();
                reply.append(reply.isEmpty() ? "" : "\n").append(text);
                if (text.length() < 4 || text.charAt(3) != '-') {
                    return reply.toString();
                }
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
