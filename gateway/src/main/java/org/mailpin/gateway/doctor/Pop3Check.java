package org.mailpin.gateway.doctor;

import java.io.IOException;

import org.mailpin.gateway.mail.sasl.Credentials;

/**
 * Logs in to a backend's POP3 port with USER and PASS (RFC 1939). A small line client is used
 * instead of Angus Mail's POP3 store, which keeps neither the greeting nor the {@code -ERR} line
 * that the report has to quote.
 */
final class Pop3Check {

    private Pop3Check() {
    }

    static ServiceCheck run(String address, int port, Credentials login, Deadline deadline) {
        LineConnection connection;
        try {
            connection = LineConnection.open(address, port, deadline);
        } catch (IOException e) {
            return result(port, CheckStatus.UNREACHABLE, null, null, Failures.describe(e, deadline));
        }

        try (connection) {
            String greeting;
            try {
                greeting = connection.readLine();
            } catch (IOException e) {
                return result(port, CheckStatus.UNREACHABLE, null, null, "no greeting: " + Failures.describe(e, deadline));
            }
            if (!isOk(greeting)) {
                return result(port, CheckStatus.FAILED, greeting, null, "the greeting is not +OK");
            }
            return login(connection, port, greeting, login, deadline);
        }
    }

    private static ServiceCheck login(LineConnection connection, int port, String greeting, Credentials login,
            Deadline deadline) {
        String reply = null;
        try {
            connection.send("USER " + login.authenticationId());
            reply = connection.readLine();
            if (isOk(reply)) {
                connection.send("PASS " + login.password());
                reply = connection.readLine();
            }
        } catch (IOException e) {
            return result(port, CheckStatus.FAILED, greeting, reply, Failures.describe(e, deadline));
        }

        if (isOk(reply)) {
            quit(connection);
            return result(port, CheckStatus.ACCEPTED, greeting, reply, null);
        }
        if (reply.startsWith("-ERR")) {
            return result(port, CheckStatus.REJECTED, greeting, reply, null);
        }
        return result(port, CheckStatus.FAILED, greeting, reply, "the reply is neither +OK nor -ERR");
    }

    // QUIT after a login ends the POP3 session in its UPDATE state, where nothing is marked deleted.
    private static void quit(LineConnection connection) {
        try {
            connection.send("QUIT");
            connection.readLine();
        } catch (IOException e) {
            // The login result is already known.
        }
    }

    private static boolean isOk(String line) {
        return line.equals("+OK") || line.startsWith("+OK ");
    }

    private static ServiceCheck result(int port, CheckStatus status, String greeting, String reply, String problem) {
        return new ServiceCheck(Service.POP3, port, status, greeting, reply, problem, null);
    }
}
