package org.mailpin.gateway.mail.submission;

import java.io.IOException;
import java.io.OutputStream;
import java.net.ProtocolException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.mailpin.gateway.mail.LineReader;
import org.mailpin.gateway.mail.sasl.Credentials;
import org.mailpin.gateway.mail.sasl.SaslCodec;

/**
 * The proxy's side of a Submission login on a backend: read the greeting, EHLO, forward the
 * client's address with XCLIENT and EHLO again, then AUTH PLAIN.
 *
 * <p>Dovecot 2.3.19's submission-login lists {@code XCLIENT ADDR PORT PROTO HELO LOGIN SESSION TTL
 * TIMEOUT FORWARD} in its EHLO reply to connections from {@code login_trusted_networks}. It replies
 * to a successful XCLIENT with a new 220 greeting and forgets the EHLO, so the proxy sends EHLO
 * again with the client's own EHLO name. The proxy sends only the XCLIENT attributes the backend lists.
 */
final class SubmissionBackend {

    /** Longest SMTP command line, CRLF included, that every server must accept (RFC 5321). */
    static final int MAX_COMMAND_LINE = 512;

    /** The extensions of a backend's EHLO reply that the proxy uses. */
    record Capabilities(boolean auth, List<String> xclientAttributes) {

        Capabilities {
            xclientAttributes = xclientAttributes == null ? null : List.copyOf(xclientAttributes);
        }

        boolean offersXclient() {
            return xclientAttributes != null;
        }
    }

    /** The client's connection as the backend should log it. */
    record Forwarded(String address, int port, String helo, String sessionId, int ttl) {
    }

    private final LineReader in;
    private final OutputStream out;

    SubmissionBackend(Socket socket) throws IOException {
        this.in = new LineReader(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /** @throws ProtocolException when the greeting is not 220 */
    void readGreeting() throws IOException {
        SmtpReply greeting = SmtpReply.read(in);
        if (greeting.code() != 220) {
            throw new ProtocolException("unexpected greeting: " + greeting.text());
        }
    }

    /** @throws ProtocolException when the backend does not reply 250 */
    Capabilities ehlo(String domain) throws IOException {
        send("EHLO " + domain);
        SmtpReply reply = SmtpReply.read(in);
        if (reply.code() != 250) {
            throw new ProtocolException("EHLO failed: " + reply.text());
        }
        boolean auth = false;
        List<String> xclient = null;
        // The first line is the greeting domain; each further line is one extension.
        for (String extension : reply.texts().subList(1, reply.texts().size())) {
            String[] words = extension.strip().split(" +");
            String keyword = words[0].toUpperCase(Locale.ROOT);
            if (keyword.equals("AUTH") && words.length > 1) {
                auth = true;
            } else if (keyword.equals("XCLIENT")) {
                xclient = new ArrayList<>();
                for (int i = 1; i < words.length; i++) {
                    xclient.add(words[i].toUpperCase(Locale.ROOT));
                }
            }
        }
        return new Capabilities(auth, xclient);
    }

    /**
     * Sends the attributes the backend lists in XCLIENT commands of at most
     * {@link #MAX_COMMAND_LINE} octets each.
     *
     * @throws ProtocolException when the backend does not reply 2xx
     */
    void forward(Capabilities capabilities, Forwarded client) throws IOException {
        Map<String, String> values = new LinkedHashMap<>();
        // The XCLIENT syntax marks IPv6 addresses with IPV6:, which Dovecot 2.3 strips before parsing.
        values.put("ADDR", client.address().indexOf(':') >= 0 ? "IPV6:" + client.address() : client.address());
        values.put("PORT", Integer.toString(client.port()));
        values.put("PROTO", "ESMTP");
        values.put("HELO", client.helo());
        values.put("SESSION", client.sessionId());
        values.put("TTL", Integer.toString(client.ttl()));

        List<String> attributes = new ArrayList<>();
        values.forEach((name, value) -> {
            if (capabilities.xclientAttributes().contains(name)) {
                attributes.add(name + "=" + Xtext.encode(value));
            }
        });
        for (String command : pack(attributes)) {
            send(command);
            SmtpReply reply = SmtpReply.read(in);
            if (!reply.positive()) {
                throw new ProtocolException("XCLIENT failed: " + reply.text());
            }
        }
    }

    /**
     * Sends AUTH PLAIN, with the initial response on the command line when it fits in 512
     * octets, as RFC 4954 section 4 requires, else after the backend's empty 334 challenge.
     *
     * @return the backend's final reply: 235 when it accepted the login
     * @throws ProtocolException on a reply that is not 235, 334 (when expected), 4xx or 5xx
     */
    SmtpReply authenticate(Credentials credentials) throws IOException {
        String response = SaslCodec.encodePlain(credentials);
        String command = "AUTH PLAIN " + response;
        SmtpReply reply;
        if (command.length() + 2 <= MAX_COMMAND_LINE) {
            send(command);
            reply = SmtpReply.read(in);
        } else {
            send("AUTH PLAIN");
            reply = SmtpReply.read(in);
            if (reply.code() != 334) {
                throw new ProtocolException("AUTH PLAIN without initial response failed: " + reply.text());
            }
            send(response);
            reply = SmtpReply.read(in);
        }
        if (reply.code() == 334) {
            // A second challenge although PLAIN has one round: cancel it.
            send("*");
            throw new ProtocolException("unexpected AUTH PLAIN challenge");
        }
        if (reply.code() != 235 && (reply.code() < 400 || reply.code() >= 600)) {
            throw new ProtocolException("unexpected AUTH reply: " + reply.text());
        }
        return reply;
    }

    /** Returns bytes the backend sent after its AUTH reply, for the relay. */
    byte[] drain() {
        return in.drain();
    }

    static List<String> pack(List<String> attributes) {
        List<String> commands = new ArrayList<>();
        StringBuilder command = new StringBuilder("XCLIENT");
        for (String attribute : attributes) {
            if (command.length() > "XCLIENT".length()
                    && command.length() + 1 + attribute.length() + 2 > MAX_COMMAND_LINE) {
                commands.add(command.toString());
                command = new StringBuilder("XCLIENT");
            }
            command.append(' ').append(attribute);
        }
        if (command.length() > "XCLIENT".length()) {
            commands.add(command.toString());
        }
        return commands;
    }

    private void send(String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
