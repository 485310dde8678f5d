package org.mailpin.gateway.mail;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

import javax.net.ssl.SSLContext;

import org.mailpin.gateway.metrics.GatewayMetrics;

/**
 * One protocol's sessions behind a real {@link MailServer} on a loopback port, with a
 * {@link StubDirector}, for unit tests that drive a session over a socket. The sessions come from
 * the protocol's {@code register} method, as in {@link MailProtocols}.
 */
public final class MailProxyHarness implements AutoCloseable {

    public final StubDirector director;
    public final ProxyContext context;
    private final MailServer server;
    private final SelfSignedCertificate certificate;

    private MailProxyHarness(StubDirector director, ProxyContext context, MailServer server,
                             SelfSignedCertificate certificate) {
        this.director = director;
        this.context = context;
        this.server = server;
        this.certificate = certificate;
    }

    public static Builder builder(Protocol protocol,
                                  BiConsumer<Map<Protocol, Supplier<MailSession>>, ProxyContext> register) {
        return new Builder(protocol, register);
    }

    /** Settings for one harness; the defaults are the config defaults. */
    public static final class Builder {

        private final Protocol protocol;
        private final BiConsumer<Map<Protocol, Supplier<MailSession>>, ProxyContext> register;
        private Path tlsFolder;
        private boolean requireTls;
        private Duration preloginTimeout = Duration.ofMinutes(1);
        private int maxLine = 8192;
        private int maxBadCommands = 10;
        private String masterUser;
        private String masterPassword;

        private Builder(Protocol protocol, BiConsumer<Map<Protocol, Supplier<MailSession>>, ProxyContext> register) {
            this.protocol = protocol;
            this.register = register;
        }

        /** Configures TLS with a new self-signed certificate written to the folder. */
        public Builder tls(Path folder) {
            this.tlsFolder = folder;
            return this;
        }

        public Builder requireTls() {
            this.requireTls = true;
            return this;
        }

        public Builder preloginTimeout(Duration timeout) {
            this.preloginTimeout = timeout;
            return this;
        }

        public Builder maxLine(int bytes) {
            this.maxLine = bytes;
            return this;
        }

        public Builder maxBadCommands(int count) {
            this.maxBadCommands = count;
            return this;
        }

        public Builder masterUser(String name, String password) {
            this.masterUser = name;
            this.masterPassword = password;
            return this;
        }

        public MailProxyHarness start() throws Exception {
            SelfSignedCertificate certificate = tlsFolder == null ? null : SelfSignedCertificate.create(tlsFolder);
            MailSettings settings = new MailSettings(List.of(new MailSettings.Listener(protocol, "127.0.0.1", 0)),
                    certificate == null ? null : certificate.certFile(), certificate == null ? null : certificate.keyFile(),
                    requireTls, Duration.ofMinutes(30), preloginTimeout, maxLine, maxBadCommands, null, masterUser,
                    masterUser == null ? null : Path.of("unused-in-unit-tests"));
            SSLContext tls = certificate == null ? null : TlsContexts.server(certificate.certFile(), certificate.keyFile());
            StubDirector director = new StubDirector();
            GatewayMetrics metrics = new GatewayMetrics();
            ProxyContext context = new ProxyContext(director, settings, tls,
                    new BackendConnector(null, Duration.ofSeconds(5)), new Relay(settings.idleTimeout(), metrics),
                    new LiveConnections(director, Duration.ofMinutes(5)), masterPassword, "mailpin.test", metrics);
            Map<Protocol, Supplier<MailSession>> sessions = new EnumMap<>(Protocol.class);
            register.accept(sessions, context);
            MailServer server = new MailServer(context, sessions);
            server.start();
            return new MailProxyHarness(director, context, server, certificate);
        }
    }

    /** Connects a client, with TLS from the start on an implicit-TLS listener. */
    public LineClient connect() throws Exception {
        boolean implicitTls = context.settings().listeners().get(0).protocol().implicitTls();
        return LineClient.connect(server.port(0), implicitTls ? clientTls() : null);
    }

    /** Returns a client TLS context that trusts the harness's certificate. */
    public SSLContext clientTls() throws Exception {
        if (certificate == null) {
            throw new IllegalStateException("this harness has no TLS; call Builder.tls(folder)");
        }
        return certificate.clientContext();
    }

    @Override
    public void close() throws IOException {
        server.close();
        context.live().close();
    }
}
