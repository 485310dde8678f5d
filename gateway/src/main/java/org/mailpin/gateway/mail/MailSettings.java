package org.mailpin.gateway.mail;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The mail proxy part of the config.
 *
 * @param listeners        what to listen on; empty means no mail proxy
 * @param certFile         PEM certificate chain for STARTTLS and implicit TLS, or null
 * @param keyFile          PEM private key (PKCS#8 or PKCS#1 RSA), or null
 * @param requireTls       reject plaintext logins (IMAP advertises LOGINDISABLED before STARTTLS)
 * @param idleTimeout      a proxied connection with no traffic either way for this long is closed
 * @param preloginTimeout  longest time a client may take from connecting to a successful login
 * @param maxLine          longest command line (and pre-login literal) accepted, in bytes
 * @param maxBadCommands   bad commands tolerated before login; then the connection is closed
 * @param sourceAddress    local address for connections to backends, or null to let the kernel choose
 * @param masterUser       master user name for backend logins ({@code user*master}), or null
 * @param masterPasswordFile file with the master user's password, or null
 */
public record MailSettings(List<Listener> listeners, Path certFile, Path keyFile, boolean requireTls,
                           Duration idleTimeout, Duration preloginTimeout, int maxLine, int maxBadCommands,
                           String sourceAddress, String masterUser, Path masterPasswordFile) {

    /** One listening socket. */
    public record Listener(Protocol protocol, String host, int port) {
    }

    public MailSettings {
        listeners = List.copyOf(listeners);
    }

    public static MailSettings none() {
        return new MailSettings(List.of(), null, null, false, Duration.ofMinutes(30), Duration.ofMinutes(1),
                8192, 10, null, null, null);
    }

    public boolean tlsConfigured() {
        return certFile != null && keyFile != null;
    }
}
