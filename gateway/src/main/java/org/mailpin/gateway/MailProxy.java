package org.mailpin.gateway;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import javax.net.ssl.SSLContext;

import org.mailpin.director.Director;
import org.mailpin.gateway.config.ConfigException;
import org.mailpin.gateway.config.GatewayConfig;
import org.mailpin.gateway.mail.BackendConnector;
import org.mailpin.gateway.mail.LiveConnections;
import org.mailpin.gateway.mail.MailProtocols;
import org.mailpin.gateway.mail.MailServer;
import org.mailpin.gateway.mail.MailSettings;
import org.mailpin.gateway.mail.ProxyContext;
import org.mailpin.gateway.mail.Relay;
import org.mailpin.gateway.mail.TlsContexts;
import org.mailpin.gateway.metrics.GatewayMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The mail protocol proxies of a node: listeners, live connections and their keep-alive. */
public final class MailProxy implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(MailProxy.class);

    private final LiveConnections live;
    private final MailServer server;
    private final ProxyContext context;

    private MailProxy(LiveConnections live, MailServer server, ProxyContext context) {
        this.live = live;
        this.server = server;
        this.context = context;
    }

    static MailProxy start(GatewayConfig config, Director director, GatewayMetrics metrics) {
        MailSettings settings = config.mail();
        SSLContext tls = null;
        if (settings.tlsConfigured()) {
            try {
                tls = TlsContexts.server(settings.certFile(), settings.keyFile());
            } catch (IllegalArgumentException e) {
                throw new ConfigException("mail.tls: " + e.getMessage(), e);
            }
        }
        String masterPassword = settings.masterPasswordFile() == null ? null
                : Secrets.read(settings.masterPasswordFile(), "mail.master-user.password-file");

        // Refresh well within user-expire so a live connection's user never expires.
        Duration keepAlive = director.userExpire().dividedBy(4);
        LiveConnections live = new LiveConnections(director, keepAlive);
        ProxyContext context = new ProxyContext(director, settings, tls,
                new BackendConnector(settings.sourceAddress(), Duration.ofSeconds(10)),
                new Relay(settings.idleTimeout(), metrics), live, masterPassword, hostname(), metrics);
        MailServer server = new MailServer(context, MailProtocols.sessions(context));
        try {
            server.start();
        } catch (IOException e) {
            server.close();
            live.close();
            throw new UncheckedIOException(e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            server.close();
            live.close();
            throw new ConfigException(e.getMessage(), e);
        }
        return new MailProxy(live, server, context);
    }

    // Read from the kernel rather than InetAddress.getLocalHost(), which may ask DNS.
    private static String hostname() {
        try {
            String name = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/kernel/hostname")).strip();
            return name.isEmpty() ? "mailpin" : name;
        } catch (IOException e) {
            return "mailpin";
        }
    }

    /**
     * Closes this node's live connections of the user to the backend, or to every backend when
     * {@code backendId} is null, and returns how many it closed.
     */
    public int kick(String user, String backendId) {
        if (backendId == null) {
            return live.kick(user);
        }
        int closed = 0;
        for (LiveConnections.Entry entry : live.forUser(user)) {
            if (!entry.backendId().equals(backendId)) {
                continue;
            }
            // The session ends when its connection closes and then removes its own entry.
            try {
                entry.connection().close();
                closed++;
            } catch (IOException e) {
                log.warn("closing connection {} of {} to backend {} failed: {}", entry.id(), user, backendId,
                        e.toString());
            }
        }
        return closed;
    }

    /** Returns each user with live connections on this node and the ids of their backends. */
    public Map<String, Set<String>> liveBackends() {
        Map<String, Set<String>> backends = new HashMap<>();
        for (LiveConnections.Entry entry : live.all()) {
            backends.computeIfAbsent(entry.user(), user -> new HashSet<>()).add(entry.backendId());
        }
        return backends;
    }

    public LiveConnections live() {
        return live;
    }

    public MailServer server() {
        return server;
    }

    public ProxyContext context() {
        return context;
    }

    @Override
    public void close() {
        server.close();
        live.close();
    }
}
