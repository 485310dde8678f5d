package org.mailpin.gateway.mail.imap;

import org.mailpin.gateway.mail.StubDirector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import javax.net.ssl.SSLContext;

import org.mailpin.gateway.mail.BackendConnector;
import org.mailpin.gateway.mail.LiveConnections;
import org.mailpin.gateway.mail.MailServer;
import org.mailpin.gateway.mail.MailSession;
import org.mailpin.gateway.mail.MailSettings;
import org.mailpin.gateway.mail.Protocol;
import org.mailpin.gateway.mail.ProxyContext;
import org.mailpin.gateway.mail.Relay;
import org.mailpin.gateway.mail.TlsContexts;
import org.mailpin.gateway.metrics.GatewayMetrics;

/**
 * A real MailServer with IMAP sessions on 127.0.0.1 (an IMAP listener, and an IMAPS listener
 * when certificates are given), in front of a {@link FakeImapBackend} through a {@link StubDirector}.
 */
final class ImapProxyFixture implements AutoCloseable {

    /** The settings a test may change; the rest are the config defaults. */
    record Options(TestCertificates certificates, boolean requireTls, Duration preloginTimeout, int maxLine,
                   int maxBadCommands, Duration backendTimeout, Duration idleTimeout) {

        static Options defaults() {
            return new Options(null, false, Duration.ofMinutes(1), 8192, 10, Duration.ofSeconds(5),
                    Duration.ofMinutes(30));
        }

        Options withCertificates(TestCertificates value) {
            return new Options(value, requireTls, preloginTimeout, maxLine, maxBadCommands, backendTimeout, idleTimeout);
        }

        Options withRequireTls() {
            return new Options(certificates, true, preloginTimeout, maxLine, maxBadCommands, backendTimeout, idleTimeout);
        }

        Options withPreloginTimeout(Duration value) {
            return new Options(certificates, requireTls, value, maxLine, maxBadCommands, backendTimeout, idleTimeout);
        }

        Options withMaxLine(int value) {
            return new Options(certificates, requireTls, preloginTimeout, value, maxBadCommands, backendTimeout, idleTimeout);
        }

        Options withMaxBadCommands(int value) {
            return new Options(certificates, requireTls, preloginTimeout, maxLine, value, backendTimeout, idleTimeout);
        }

        Options withBackendTimeout(Duration value) {
            return new Options(certificates, requireTls, preloginTimeout, maxLine, maxBadCommands, value, idleTimeout);
        }
    }

    final FakeImapBackend backend;
    final StubDirector director = new StubDirector();
    final GatewayMetrics metrics = new GatewayMetrics();
    final LiveConnections live;
    final MailServer server;
    final ProxyContext context;

    ImapProxyFixture(Options options) throws Exception {
        backend = new FakeImapBackend();
        backend.addUser("user01@example.test", "secret01");
        director.useBackend(backend.port());

        List<MailSettings.Listener> listeners = new ArrayList<>();
        listeners.add(new MailSettings.Listener(Protocol.IMAP, "127.0.0.1", 0));
        SSLContext tls = null;
        TestCertificates certificates = options.certificates();
        if (certificates != null) {
            listeners.add(new MailSettings.Listener(Protocol.IMAPS, "127.0.0.1", 0));
            tls = TlsContexts.server(certificates.certFile(), certificates.keyFile());
        }
        MailSettings settings = new MailSettings(listeners, certificates == null ? null : certificates.certFile(),
                certificates == null ? null : certificates.keyFile(), options.requireTls(), options.idleTimeout(),
                options.preloginTimeout(), options.maxLine(), options.maxBadCommands(), null, null, null);

        live = new LiveConnections(director, Duration.ofMinutes(1));
        context = new ProxyContext(director, settings, tls, new BackendConnector(null, Duration.ofSeconds(2)),
                new Relay(settings.idleTimeout(), metrics), live, null, "test-host", metrics);
        ImapBackendLogin login = new ImapBackendLogin(context.connector(), options.backendTimeout());
        Map<Protocol, java.util.function.Supplier<MailSession>> sessions = Map.of(
                Protocol.IMAP, () -> new ImapSession(context, login),
                Protocol.IMAPS, () -> new ImapSession(context, login));
        server = new MailServer(context, sessions);
        server.start();
    }

    int imapPort() {
        return server.port(0);
    }

    int imapsPort() {
        return server.port(1);
    }

    /** Connects a client to the IMAP listener and reads the greeting. */
    ImapTestClient connect() throws Exception {
        ImapTestClient client = ImapTestClient.connect("127.0.0.1", imapPort());
        client.readLine();
        return client;
    }

    @Override
    public void close() throws Exception {
        server.close();
        live.close();
        backend.close();
    }
}
