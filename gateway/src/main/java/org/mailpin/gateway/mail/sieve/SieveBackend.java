package org.mailpin.gateway.mail.sieve;

import java.io.IOException;
import java.io.OutputStream;
import java.net.ProtocolException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.mailpin.gateway.mail.BackendLogin;
import org.mailpin.gateway.mail.LineReader;
import org.mailpin.gateway.mail.sasl.Credentials;
import org.mailpin.gateway.mail.sasl.SaslCodec;

/**
 * The proxy's side of a ManageSieve login on a backend: read the capability greeting, forward the
 * client's address with XCLIENT, then AUTHENTICATE "PLAIN" with an initial response.
 *
 * <p>Pigeonhole's managesieve-login (0.5.19, with Dovecot 2.3.19) lists an {@code "XCLIENT"}
 * capability to connections from {@code login_trusted_networks} and then accepts
 * {@code XCLIENT ADDR= PORT= SESSION= TTL=} with {@code OK}. From other addresses it replies
 * {@code NO}.
 */
final class SieveBackend {

    /** Maximum size of a backend response, literals included, in bytes. */
    static final int MAX_RESPONSE = 65536;
    /** Maximum number of capability lines before the greeting's OK; Pigeonhole sends fewer than ten. */
    static final int MAX_CAPABILITY_LINES = 100;

    /** The backend's greeting. */
    record Greeting(List<SieveReader.Line> capabilities, boolean offersXclient, boolean offersPlain) {
    }

    /** The backend's response to AUTHENTICATE, with the bytes to relay. */
    record Reply(boolean accepted, byte[] raw) {

        String text() {
            return new String(raw, StandardCharsets.UTF_8).strip();
        }
    }

    private final SieveReader in;
    private final LineReader lines;
    private final OutputStream out;

    SieveBackend(Socket socket) throws IOException {
        this.lines = new LineReader(socket.getInputStream());
        this.in = new SieveReader(lines);
        this.out = socket.getOutputStream();
    }

    /**
     * Reads the capability lines up to the greeting's OK.
     *
     * @throws ProtocolException when the greeting ends with NO or BYE, or does not end
     */
    Greeting readGreeting() throws IOException {
        List<SieveReader.Line> capabilities = new ArrayList<>();
        boolean xclient = false;
        boolean plain = false;
        for (int i = 0; i < MAX_CAPABILITY_LINES; i++) {
            SieveReader.Line line = read();
            List<SieveReader.Word> words = line.words();
            if (words.isEmpty()) {
                throw new ProtocolException("empty line in the greeting");
            }
            SieveReader.Word first = words.get(0);
            if (first.isAtom("OK")) {
                return new Greeting(capabilities, xclient, plain);
            }
            if (!first.string()) {
                throw new ProtocolException("greeting failed: " + text(line));
            }
            capabilities.add(line);
            if (first.text().equalsIgnoreCase("XCLIENT")) {
                xclient = true;
            } else if (first.text().equalsIgnoreCase("SASL") && words.size() > 1) {
                plain = List.of(words.get(1).text().toUpperCase(Locale.ROOT).split(" ")).contains("PLAIN");
            }
        }
        throw new ProtocolException("greeting has more than " + MAX_CAPABILITY_LINES + " capability lines");
    }

    /**
     * Sends XCLIENT with the client's address, port and the session id.
     *
     * @throws ProtocolException when the backend does not reply OK
     */
    void forward(String address, int port, String sessionId) throws IOException {
        send("XCLIENT ADDR=" + address + " PORT=" + port + " SESSION=" + sessionId + " TTL="
                + BackendLogin.FORWARD_TTL);
        SieveReader.Line reply = read();
        if (reply.words().isEmpty() || !reply.words().get(0).isAtom("OK")) {
            throw new ProtocolException("XCLIENT failed: " + text(reply));
        }
    }

    /**
     * Sends AUTHENTICATE "PLAIN" with the credentials as initial response.
     *
     * @throws ProtocolException when the backend replies with anything but OK, NO or BYE
     */
    Reply authenticate(Credentials credentials) throws IOException {
        send("AUTHENTICATE \"PLAIN\" " + SieveStrings.quoteForServer(SaslCodec.encodePlain(credentials)));
        SieveReader.Line reply = read();
        List<SieveReader.Word> words = reply.words();
        if (!words.isEmpty() && words.get(0).isAtom("OK")) {
            return new Reply(true, reply.raw());
        }
        if (!words.isEmpty() && (words.get(0).isAtom("NO") || words.get(0).isAtom("BYE"))) {
            return new Reply(false, reply.raw());
        }
        if (!words.isEmpty() && words.get(0).string()) {
            // A challenge, although the initial response carried everything: cancel it.
            send("\"*\"");
        }
        throw new ProtocolException("unexpected AUTHENTICATE response: " + text(reply));
    }

    /** Returns bytes the backend sent after its AUTHENTICATE response, for the relay. */
    byte[] drain() {
        return lines.drain();
    }

    private SieveReader.Line read() throws IOException {
        SieveReader.Line line = in.read(MAX_RESPONSE);
        if (line == null) {
            throw new ProtocolException("connection closed");
        }
        return line;
    }

    private void send(String command) throws IOException {
        out.write((command + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static String text(SieveReader.Line line) {
        return new String(line.raw(), StandardCharsets.UTF_8).strip();
    }
}
