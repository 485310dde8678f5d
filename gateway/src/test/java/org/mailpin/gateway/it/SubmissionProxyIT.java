package org.mailpin.gateway.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mailpin.director.Director;
import org.mailpin.gateway.mail.LineClient;
import org.mailpin.gateway.mail.LineReader;
import org.mailpin.gateway.mail.LogFileWatch;
import org.mailpin.gateway.mail.SelfSignedCertificate;

import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;

/**
 * The Submission proxy against the two real Dovecot 2.3 backends. Jakarta Mail sends through the
 * gateway, and the owner backend's submission service relays the message to an SMTP sink that
 * this test runs at the demo's relay address. The backend's Received header and log must show the
 * client's address, which they only do when XCLIENT worked.
 */
class SubmissionProxyIT {

    private static final Duration WAIT = Duration.ofSeconds(20);
    // The test clients connect from here; the gateway itself connects to backends from 127.0.0.1.
    private static final String CLIENT_ADDRESS = "127.0.0.7";
    private static final String CLIENT_NAME = "client.example";
    // The demo backends relay submitted mail here (submission_relay_host and _port in start.sh).
    private static final InetSocketAddress RELAY = new InetSocketAddress("127.0.0.25", 2525);

    private static Path certificateFolder;
    private static SelfSignedCertificate certificate;
    private static SmtpSink sink;
    private static Topology topology;
    private static int submissionPort;
    private static int submissionsPort;
    private static String be1User;
    private static String be2User;

    @BeforeAll
    static void start() throws Exception {
        certificateFolder = Files.createTempDirectory("mailpin-submission-it-");
        certificate = SelfSignedCertificate.create(certificateFolder);
        sink = new SmtpSink(RELAY);
        submissionPort = Topology.freePort();
        submissionsPort = Topology.freePort();
        topology = Topology.start("separate", """
                mail:
                  listeners:
                    - protocol: submission
                      listen: 127.0.0.1:%d
                    - protocol: submissions
                      listen: 127.0.0.1:%d
                  tls:
                    cert-file: %s
                    key-file: %s
                """.formatted(submissionPort, submissionsPort, certificate.certFile(), certificate.keyFile()));
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
            if (sink != null) {
                sink.close();
            }
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

    /** Sends a message with Jakarta Mail through the gateway; returns its unique subject. */
    private static String send(String protocol, int port, String user, SSLContext tls) throws Exception {
        Properties properties = new Properties();
        properties.put("mail." + protocol + ".host", "127.0.0.1");
        properties.put("mail." + protocol + ".port", Integer.toString(port));
        properties.put("mail." + protocol + ".auth", "true");
        properties.put("mail." + protocol + ".localaddress", CLIENT_ADDRESS);
        properties.put("mail." + protocol + ".localhost", CLIENT_NAME);
        properties.put("mail." + protocol + ".connectiontimeout", "10000");
        properties.put("mail." + protocol + ".timeout", "30000");
        if (tls != null) {
            properties.put("mail." + protocol + ".ssl.socketFactory", tls.getSocketFactory());
        }
        Session session = Session.getInstance(properties);
        String subject = "mailpin-it " + protocol + " " + System.nanoTime();
        MimeMessage message = new MimeMessage(session);
        message.setFrom(new InternetAddress(user));
        message.setRecipient(Message.RecipientType.TO, new InternetAddress("recipient@example.org"));
        message.setSubject(subject);
        message.setText("Sent through the Mailpin submission proxy.\n");
        try (Transport transport = session.getTransport(protocol)) {
            transport.connect(user, password(user));
            transport.sendMessage(message, message.getAllRecipients());
        }
        return subject;
    }

    private static String awaitRelayed(String subject) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            String message = sink.messages.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (message != null && message.contains("Subject: " + subject)) {
                return message;
            }
        }
        throw new AssertionError("the relay sink did not receive the message " + subject);
    }

    @Test
    void jakartaSendsThroughOwnerBackend() throws Exception {
        for (String user : List.of(be1User, be2User)) {
            String owner = user.equals(be1User) ? "be1" : "be2";
            int offset = LogFileWatch.length(backendLog(owner));

            String relayed = awaitRelayed(send("smtp", submissionPort, user, null));
            assertTrue(relayed.contains("Received: from " + CLIENT_NAME + " ([" + CLIENT_ADDRESS + "])"), relayed);
            String login = LogFileWatch.awaitLine(backendLog(owner), offset,
                    line -> line.contains("submission-login: Info: Login: user=<" + user + ">"), WAIT)
                    .orElseThrow(() -> new AssertionError("no Submission login of " + user + " in " + owner + ".log"));
            assertTrue(login.contains("rip=" + CLIENT_ADDRESS + ","), login);
            assertTrue(login.contains("session=<submission-"), login);
        }
    }

    @Test
    void submissionsSendsOverTls() throws Exception {
        String relayed = awaitRelayed(send("smtps", submissionsPort, be2User, certificate.clientContext()));

        assertTrue(relayed.contains("Received: from " + CLIENT_NAME + " ([" + CLIENT_ADDRESS + "])"), relayed);
    }

    @Test
    void wrongPasswordRelaysBackendError() throws Exception {
        String response = Base64.getEncoder().encodeToString(("\0" + be1User + "\0wrong-password")
                .getBytes(StandardCharsets.UTF_8));
        try (LineClient client = LineClient.connectFrom(CLIENT_ADDRESS, submissionPort, null)) {
            client.readLine();
            client.writeLine("EHLO " + CLIENT_NAME);
            client.readThrough("250 ");
            client.writeLine("AUTH PLAIN " + response);

            assertEquals("535 5.7.8 Authentication failed.", client.readLine());
        }
    }

    /**
     * A minimal SMTP server that accepts every message and keeps its text, standing in for the
     * MTA that Dovecot's submission service relays to.
     */
    static final class SmtpSink implements AutoCloseable {

        final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
        private final ServerSocket server;

        SmtpSink(InetSocketAddress address) throws IOException {
            server = new ServerSocket();
            server.setReuseAddress(true);
            server.bind(address);
            Thread.ofVirtual().name("smtp-sink").start(this::accept);
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket socket = server.accept();
                    Thread.ofVirtual().name("smtp-sink-connection").start(() -> serve(socket));
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void serve(Socket socket) {
            try (socket) {
                socket.setSoTimeout(60_000);
                LineReader in = new LineReader(socket.getInputStream());
                OutputStream out = socket.getOutputStream();
                out.write("220 sink.test ESMTP\r\n".getBytes(StandardCharsets.US_ASCII));
                String line;
                while ((line = in.readLineText(65536)) != null) {
                    String verb = line.length() >= 4 ? line.substring(0, 4).toUpperCase(Locale.ROOT) : line;
                    String reply = switch (verb) {
                        case "EHLO" -> "250-sink.test\r\n250 8BITMIME";
                        case "DATA" -> {
                            out.write("354 Send the message.\r\n".getBytes(StandardCharsets.US_ASCII));
                            out.flush();
                            messages.add(readData(in));
                            yield "250 2.0.0 Queued.";
                        }
                        case "QUIT" -> "221 2.0.0 Bye.";
                        default -> "250 2.0.0 OK";
                    };
                    out.write((reply + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    if (verb.equals("QUIT")) {
                        return;
                    }
                }
            } catch (IOException e) {
                // The backend closed the relay connection; nothing to keep.
            }
        }

        private static String readData(LineReader in) throws IOException {
            StringBuilder message = new StringBuilder();
            String line;
            while ((line = in.readLineText(65536)) != null && !line.equals(".")) {
                message.append(line).append("\n");
            }
            return message.toString();
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
