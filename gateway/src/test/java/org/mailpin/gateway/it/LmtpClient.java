package org.mailpin.gateway.it;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** Delivers one message over LMTP and checks every per-recipient reply (RFC 2033 sends one each after DATA). */
final class LmtpClient {

    private LmtpClient() {
    }

    static void deliver(String host, int port, String recipient, String subject) throws Exception {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 5000);
            socket.setSoTimeout(15000);
            var in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = socket.getOutputStream();

            expect(in, "220");
            send(out, "LHLO it.example.test");
            String line;
            do {
                line = in.readLine();
            } while (line != null && line.startsWith("250-"));
            send(out, "MAIL FROM:<sender@example.test>");
            expect(in, "250");
            send(out, "RCPT TO:<" + recipient + ">");
            expect(in, "250");
            send(out, "DATA");
            expect(in, "354");
            send(out, "From: sender@example.test\r\nTo: " + recipient + "\r\nSubject: " + subject
                    + "\r\n\r\nDelivered over LMTP by the integration test.\r\n.");
            expect(in, "250");
            send(out, "QUIT");
        }
    }

    private static void send(OutputStream out, String line) throws Exception {
        out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    private static void expect(BufferedReader in, String code) throws Exception {
        String line = in.readLine();
        assertNotNull(line, "connection closed while expecting LMTP " + code);
        assertTrue(line.startsWith(code), "expected LMTP " + code + ", got: " + line);
    }
}
