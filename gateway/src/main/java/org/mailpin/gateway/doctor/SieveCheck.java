package org.mailpin.gateway.doctor;

import java.io.IOException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.mailpin.gateway.mail.sasl.Credentials;
import org.mailpin.gateway.mail.sasl.SaslCodec;

/**
 * Logs in to a backend's ManageSieve port (RFC 5804) with {@code AUTHENTICATE "PLAIN"} and an
 * initial response, as the gateway's ManageSieve proxy does.
 */
final class SieveCheck {

    /** Maximum capability lines before the greeting's OK. Pigeonhole 0.5 sends fewer than ten. */
    static final int MAX_CAPABILITY_LINES = 100;

    private static final Pattern STATUS = Pattern.compile("(?is)(OK|NO|BYE)(\\s.*)?");
    private static final Pattern LITERAL_AT_END = Pattern.compile("\\{(\\d{1,6})\\+?}$");
    private static final Pattern SASL = Pattern.compile("(?i)\"SASL\"\\s+\"([^\"]*)\"");

    private SieveCheck() {
    }

    static ServiceCheck run(String address, int port, Credentials login, Deadline deadline) {
        LineConnection connection;
        try {
            connection = LineConnection.open(address, port, deadline);
        } catch (IOException e) {
            return result(port, CheckStatus.UNREACHABLE, null, null, Failures.describe(e, deadline));
        }

        try (connection) {
            String greeting = null;
            boolean offersPlain = false;
            try {
                for (int i = 0; i < MAX_CAPABILITY_LINES && greeting == null; i++) {
                    String line = connection.readLine();
                    if (STATUS.matcher(line).matches()) {
                        greeting = line;
                    } else {
                        offersPlain |= offersPlain(line);
                    }
                }
            } catch (IOException e) {
                return result(port, CheckStatus.UNREACHABLE, null, null, "no greeting: " + Failures.describe(e, deadline));
            }
            if (greeting == null) {
                return result(port, CheckStatus.FAILED, null, null,
                        "no OK after " + MAX_CAPABILITY_LINES + " capability lines");
            }
            if (!status(greeting).equals("OK")) {
                return result(port, CheckStatus.FAILED, greeting, null, "the greeting is not OK");
            }
            if (!offersPlain) {
                return result(port, CheckStatus.FAILED, greeting, null, "the backend does not offer SASL PLAIN on "
                        + "a plaintext connection, which the gateway's ManageSieve proxy uses");
            }
            return login(connection, port, greeting, login, deadline);
        }
    }

    private static ServiceCheck login(LineConnection connection, int port, String greeting, Credentials login,
            Deadline deadline) {
        String reply;
        try {
            connection.send("AUTHENTICATE \"PLAIN\" \"" + SaslCodec.encodePlain(login) + "\"");
            reply = readResponse(connection);
        } catch (IOException e) {
            return result(port, CheckStatus.FAILED, greeting, null, Failures.describe(e, deadline));
        }

        if (!STATUS.matcher(reply).matches()) {
            return result(port, CheckStatus.FAILED, greeting, reply, "expected OK or NO, got a SASL challenge");
        }
        if (status(reply).equals("OK")) {
            logout(connection);
            return result(port, CheckStatus.ACCEPTED, greeting, reply, null);
        }
        return result(port, CheckStatus.REJECTED, greeting, reply, null);
    }

    /** Reads a response line, with a literal at its end read into the text, e.g. {@code NO {12}} and 12 bytes. */
    private static String readResponse(LineConnection connection) throws IOException {
        StringBuilder response = new StringBuilder(connection.readLine());
        Matcher literal = LITERAL_AT_END.matcher(response);
        while (literal.find()) {
            int size = Integer.parseInt(literal.group(1));
            response.append("\r\n").append(connection.readLiteral(size)).append(connection.readLine());
            literal = LITERAL_AT_END.matcher(response);
        }
        return response.toString();
    }

    private static void logout(LineConnection connection) {
        try {
            connection.send("LOGOUT");
            connection.readLine();
        } catch (IOException e) {
            // The login result is already known.
        }
    }

    private static boolean offersPlain(String capabilityLine) {
        Matcher sasl = SASL.matcher(capabilityLine);
        return sasl.lookingAt() && (" " + sasl.group(1).toUpperCase(Locale.ROOT) + " ").contains(" PLAIN ");
    }

    private static String status(String line) {
        Matcher matcher = STATUS.matcher(line);
        return matcher.matches() ? matcher.group(1).toUpperCase(Locale.ROOT) : "";
    }

    private static ServiceCheck result(int port, CheckStatus status, String greeting, String reply, String problem) {
        return new ServiceCheck(Service.SIEVE, port, status, greeting, reply, problem, null);
    }
}
