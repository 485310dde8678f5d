package org.mailpin.gateway.doctor;

import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;

/** Describes network failures in the words an administrator searches for. */
final class Failures {

    private Failures() {
    }

    /** Describes a failure, naming the budget when the deadline closed the socket. */
    static String describe(IOException failure, Deadline deadline) {
        if (deadline.expired()) {
            return "timed out: the " + seconds(deadline) + " s for this backend ran out";
        }
        // Angus Mail wraps the socket's exception in its own SocketConnectException.
        IOException e = failure;
        while (e.getCause() instanceof IOException cause && cause != e) {
            e = cause;
        }
        if (e instanceof ConnectException && e.getMessage() != null && e.getMessage().contains("refused")) {
            return "connection refused";
        }
        if (e instanceof NoRouteToHostException) {
            return "no route to host";
        }
        if (e instanceof SocketTimeoutException) {
            return "timed out";
        }
        if (e instanceof EOFException) {
            return "connection closed by the backend";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private static long seconds(Deadline deadline) {
        return Math.max(1, deadline.budget().toSeconds());
    }
}
