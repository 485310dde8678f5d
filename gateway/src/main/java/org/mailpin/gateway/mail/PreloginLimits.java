package org.mailpin.gateway.mail;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;

/**
 * The bounds on one client connection before it has logged in: a deadline for the whole
 * pre-login phase ({@code mail.prelogin-timeout}) and a count of rejected commands
 * ({@code mail.max-bad-commands}). A client that stays silent or keeps sending bad commands is
 * disconnected instead of holding a connection open.
 */
public final class PreloginLimits {

    private final long deadlineNanos;
    private final int maxBadCommands;
    private int badCommands;

    public PreloginLimits(MailSettings settings) {
        this(settings.preloginTimeout(), settings.maxBadCommands());
    }

    PreloginLimits(Duration timeout, int maxBadCommands) {
        this.deadlineNanos = System.nanoTime() + timeout.toNanos();
        this.maxBadCommands = maxBadCommands;
    }

    /**
     * Sets the client socket's read timeout to the time left before the deadline; call it before
     * every read from the client.
     *
     * @throws SocketTimeoutException when the deadline has passed
     */
    public void armReadTimeout(ClientConnection client) throws IOException {
        long leftMillis = Duration.ofNanos(deadlineNanos - System.nanoTime()).toMillis();
        if (leftMillis <= 0) {
            throw new SocketTimeoutException("pre-login timeout");
        }
        client.setReadTimeout((int) Math.min(Integer.MAX_VALUE, leftMillis));
    }

    /**
     * Counts a rejected command, a failed login included.
     *
     * @return true when this one exceeds {@code mail.max-bad-commands}, so the connection must close
     */
    public boolean countBadCommand() {
        badCommands++;
        return badCommands > maxBadCommands;
    }

    public int badCommands() {
        return badCommands;
    }
}
