package org.mailpin.gateway.mail.pop3;

import java.io.IOException;
import java.io.OutputStream;
import java.net.ProtocolException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import org.mailpin.gateway.mail.BackendLogin;
import org.mailpin.gateway.mail.LineReader;
import org.mailpin.gateway.mail.sasl.Credentials;
import org.mailpin.gateway.mail.sasl.SaslCodec;

/**
 * The proxy's side of a POP3 login on a backend: read the greeting, forward the client's address
 * with XCLIENT, then log in with USER/PASS or AUTH PLAIN.
 *
 * <p>Dovecot 2.3's pop3-login puts {@code [XCLIENT]} at the start of its greeting text when the
 * connection comes from {@code login_trusted_networks} (so a proxy needs no CAPA round trip), and
 * then accepts {@code XCLIENT ADDR= PORT= SESSION= TTL=}. From other addresses it replies
 * {@code +OK} to XCLIENT but ignores it, which is why the greeting decides whether to send it.
 */
final class Pop3Backend {

    /** Maximum length of a backend line, in bytes; Dovecot's replies during login are far shorter. */
    static final int MAX_LINE = 8192;

    /** The backend's reply to the login. */
    record Reply(boolean accepted, String line) {
    }

    /** The client's connection as the backend should log it. */
    record Forwarded(String address, int port, String sessionId) {
    }

    private final LineReader in;
    private final OutputStream out;

    Pop3Backend(Socket socket) throws IOException {
        this.in = new LineReader(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /**
     * Reads the greeting and sends XCLIENT when the greeting offers it.
     *
     * @return false when the backend does not offer XCLIENT, so it will see the proxy's address
     * @throws ProtocolException when the greeting or the XCLIENT reply is not {@code +OK}
     */
    boolean greetAndForward(Forwarded client) throws IOException {
        String greeting = readLine();
        if (!isOk(greeting)) {
            throw new ProtocolException("unexpected greeting: " + greeting);
        }
        if (!greeting.startsWith("+OK [XCLIENT]")) {
            return false;
        }
        send("XCLIENT ADDR=" + client.address() + " PORT=" + client.port() + " SESSION=" + client.sessionId()
                + " TTL=" + BackendLogin.FORWARD_TTL);
        String reply = readLine();
        if (!isOk(reply)) {
            throw new ProtocolException("XCLIENT failed: " + reply);
        }
        return true;
    }

    /** Logs in with USER and PASS; a rejected USER ends the attempt with its reply. */
    Reply loginWithUserPass(String user, String password) throws IOException {
        send("USER " + user);
        String reply = readLine();
        if (!isOk(reply)) {
            return rejected(reply);
        }
        send("PASS " + password);
        return result(readLine());
    }

    /** Logs in with AUTH PLAIN and an initial response (RFC 5034). */
    Reply loginWithPlain(Credentials credentials) throws IOException {
        send("AUTH PLAIN " + SaslCodec.encodePlain(credentials));
        String reply = readLine();
        if (reply.startsWith("+ ") || reply.equals("+")) {
            // The initial response already carried everything; a challenge means a broken backend.
            send("*");
            throw new ProtocolException("unexpected AUTH PLAIN challenge");
        }
        return result(reply);
    }

    /** Returns bytes the backend sent after its login reply, for the relay. */
    byte[] drain() {
        return in.drain();
    }

    private Reply result(String reply) throws ProtocolException {
        if (isOk(reply)) {
            return new Reply(true, reply);
        }
        return rejected(reply);
    }

    private static Reply rejected(String reply) throws ProtocolException {
        if (!reply.startsWith("-ERR")) {
            throw new ProtocolException("unexpected login reply: " + reply);
        }
        return new Reply(false, reply);
    }

    private static boolean isOk(String line) {
        return line.equals("+OK") || line.startsWith("+OK ");
    }

    private void send(String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private String readLine() throws IOException {
        String line = in.readLineText(MAX_LINE);
        if (line == null) {
            throw new ProtocolException("connection closed");
        }
        return line;
    }
}
