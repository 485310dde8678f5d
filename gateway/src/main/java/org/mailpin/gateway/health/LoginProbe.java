package org.mailpin.gateway.health;

import java.time.Duration;
import java.util.Properties;

import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Store;

/**
 * Logs in over IMAP as the probe account, which proves that the backend's authentication and
 * storage respond, not only its login process. Uses Jakarta Mail (Angus), plaintext like the mail
 * proxy's own connections to backends.
 */
public final class LoginProbe {

    private final String user;
    private final String password;
    private final Session session;

    /**
     * @param password      the probe account's password; it is sent to backends only, never logged
     * @param sourceAddress local address to connect from, or null
     */
    public LoginProbe(String user, String password, Duration timeout, String sourceAddress) {
        this.user = user;
        this.password = password;
        Properties properties = new Properties();
        String millis = Long.toString(timeout.toMillis());
        properties.setProperty("mail.imap.connectiontimeout", millis);
        properties.setProperty("mail.imap.timeout", millis);
        if (sourceAddress != null) {
            properties.setProperty("mail.imap.localaddress", sourceAddress);
        }
        this.session = Session.getInstance(properties);
    }

    /**
     * Logs in on the backend's IMAP port and logs out again.
     *
     * @throws ProbeFailedException e.g. {@code probe login: NO [AUTHENTICATIONFAILED] Authentication failed.}
     */
    public void check(String host, int port) throws ProbeFailedException {
        Store store;
        try {
            store = session.getStore("imap");
        } catch (MessagingException e) {
            throw new IllegalStateException("Jakarta Mail has no IMAP provider; is Angus Mail on the class path?", e);
        }
        try {
            store.connect(host, port, user, password);
        } catch (AuthenticationFailedException e) {
            // Angus Mail raises this for a NO to LOGIN, with the text after NO as its message.
            throw new ProbeFailedException("probe login: NO " + e.getMessage());
        } catch (MessagingException e) {
            throw new ProbeFailedException("probe login as " + user + " on " + host + ":" + port + " failed: "
                    + describe(e));
        }
        try {
            store.close();
        } catch (MessagingException e) {
            throw new ProbeFailedException("probe login: LOGOUT failed: " + describe(e));
        }
    }

    private static String describe(MessagingException e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        return cause.getClass().getSimpleName() + ": " + cause.getMessage();
    }
}
