package org.mailpin.gateway.mail;

import java.time.Duration;

import javax.net.ssl.SSLContext;

import org.mailpin.director.Director;
import org.mailpin.gateway.metrics.GatewayMetrics;

/**
 * What every protocol session shares: the director, the backend connector, the relay, the live
 * connection registry, the settings and the node's meters. Created once per node.
 *
 * @param tls             server TLS context, or null when no certificate is configured
 * @param masterPassword  the master user's password, or null; never logged
 */
public record ProxyContext(Director director, MailSettings settings, SSLContext tls, BackendConnector connector,
                           Relay relay, LiveConnections live, String masterPassword, String hostname,
                           GatewayMetrics metrics) {

    /** How long the proxy waits for a backend to greet and answer a login. */
    public static final Duration BACKEND_TIMEOUT = Duration.ofSeconds(30);

    @Override
    public String toString() {
        return "ProxyContext[settings=" + settings + ", master password hidden]";
    }
}
