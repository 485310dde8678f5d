package org.mailpin.gateway.mail;

import java.io.Closeable;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.mailpin.director.Assignment;
import org.mailpin.director.Backend;
import org.mailpin.director.IpAddresses;
import org.mailpin.director.NoBackendAvailableException;
import org.mailpin.director.UsernameNormalizer;
import org.mailpin.gateway.mail.sasl.Credentials;
import org.mailpin.gateway.metrics.LoginResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The steps of a proxied login that do not depend on the protocol. The director picks the user's
 * backend and the proxy connects to it. Once the backend has accepted the login, the connection is
 * registered as live and relayed until either side closes. The protocol session in between
 * forwards the client's address and sends the credentials in its own syntax.
 */
public final class BackendLogin {

    /**
     * The TTL forwarded in XCLIENT. Dovecot 2.3's login proxies start at 5 ({@code LOGIN_PROXY_TTL})
     * and send one less per hop. A backend that receives 0 does not proxy further, which stops loops.
     */
    public static final int FORWARD_TTL = 4;

    private static final Logger log = LoggerFactory.getLogger(BackendLogin.class);
    private static final int MAX_LOGGED_REPLY = 160;
    // Backends already warned about, as "protocol/backend id", so the warning is logged once per process.
    private static final Set<String> WARNED_WITHOUT_FORWARDING = ConcurrentHashMap.newKeySet();

    private final ProxyContext context;

    public BackendLogin(ProxyContext context) {
        this.context = context;
    }

    /**
     * A backend connection opened for one login attempt; closing it closes the socket.
     *
     * @param startNanos {@link System#nanoTime()} before the director lookup, for the login latency
     */
    public record Target(String user, Backend backend, Socket socket, long startNanos) implements Closeable {

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException e) {
                // Closing a connection that failed anyway.
            }
        }
    }

    /** No backend can take the login now; the client gets a temporary failure and may retry. */
    public static final class UnavailableException extends Exception {

        public UnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Normalizes the user name, gets the user's backend from the director and connects to that
     * backend's port for the client's protocol. The socket's read timeout is
     * {@link ProxyContext#BACKEND_TIMEOUT} until {@link #relay} takes over.
     *
     * Counts every failure here in the login meters. The session counts the backend's reply.
     *
     * @throws IllegalArgumentException when the user name is invalid; the message shows it escaped
     * @throws UnavailableException     when the director has no backend for the user or its lookup
     *                                  fails, or the backend does not accept the connection; logged here
     */
    public Target connect(ClientConnection client, String user) throws UnavailableException {
        long start = System.nanoTime();
        Protocol protocol = client.protocol();
        String normalized;
        try {
            normalized = context.director().normalizer().normalize(user);
        } catch (IllegalArgumentException e) {
            context.metrics().recordLogin(protocol, LoginResult.REJECTED);
            throw e;
        }
        Backend backend;
        try {
            Assignment assignment = context.director().assign(normalized);
            backend = context.director().backend(assignment.backendId()).orElseThrow(() ->
                    new UnavailableException("backend " + assignment.backendId() + " of " + normalized
                            + " is not configured", null));
        } catch (NoBackendAvailableException e) {
            log.warn("{} login of {} failed: {}", protocol.label(), normalized, e.getMessage());
            context.metrics().recordLogin(protocol, LoginResult.NO_BACKEND);
            throw new UnavailableException(e.getMessage(), e);
        } catch (UnavailableException e) {
            log.warn("{} login of {} failed: {}", protocol.label(), normalized, e.getMessage());
            context.metrics().recordLogin(protocol, LoginResult.DIRECTOR_ERROR);
            throw e;
        } catch (RuntimeException e) {
            log.warn("{} login of {} failed: the director lookup failed: {}", protocol.label(), normalized,
                    e.toString());
            context.metrics().recordLogin(protocol, LoginResult.DIRECTOR_ERROR);
            throw new UnavailableException("director lookup failed", e);
        }

        try {
            Socket socket = context.connector().connect(backend, protocol.backendPort(backend.ports()));
            socket.setSoTimeout((int) ProxyContext.BACKEND_TIMEOUT.toMillis());
            return new Target(normalized, backend, socket, start);
        } catch (IOException e) {
            log.warn("{} login of {}: connecting to the backend failed: {}", protocol.label(), normalized,
                    e.getMessage());
            context.metrics().recordBackendLogin(protocol, LoginResult.BACKEND_UNAVAILABLE, start);
            throw new UnavailableException(e.getMessage(), e);
        }
    }

    /**
     * Hands an accepted login over to the relay: writes what the backend sent after its login reply,
     * registers the connection in {@link ProxyContext#live()}, and copies bytes both ways until
     * either side closes. The backend's login reply must already be on its way to the client.
     * Counts the login as accepted.
     *
     * @param backendPending bytes the backend sent after its login reply that the session read ahead
     */
    public void relay(ClientConnection client, Target target, byte[] backendPending)
            throws IOException, InterruptedException {
        context.metrics().recordBackendLogin(client.protocol(), LoginResult.OK, target.startNanos());
        if (backendPending.length > 0) {
            client.write(backendPending);
        }
        Instant since = Instant.now();
        Closeable both = () -> {
            client.close();
            target.close();
        };
        LiveConnections.Entry entry = new LiveConnections.Entry(client.id(), target.user(), client.protocol(),
                target.backend().id(), clientAddress(client), since, both);
        AutoCloseable registration = context.live().register(entry);
        MDC.put("user", target.user());
        try {
            log.info("{} login of {} from {} proxied to backend {} ({})", client.protocol().label(), target.user(),
                    entry.clientIp(), target.backend().id(), target.backend().address());
            target.socket().setSoTimeout(0);
            Relay.Traffic traffic = context.relay().run(client.protocol(), client.socket(), target.socket(),
                    client.reader().drain());
            log.info("{} session of {} on backend {} closed after {} s: {} bytes from the client, {} bytes to it",
                    client.protocol().label(), target.user(), target.backend().id(),
                    Duration.between(since, Instant.now()).toSeconds(), traffic.clientToBackend(),
                    traffic.backendToClient());
        } finally {
            unregister(registration);
            target.close();
        }
    }

    /**
     * Returns the SASL credentials to send to the backend: the client's own, with the user name the
     * director routed in place of the one the client typed. An authorization identity (a client's
     * own Dovecot master-user login) is kept, so the backend still checks it.
     */
    public static Credentials backendCredentials(String user, Credentials client) {
        if (client.authorizationId().isEmpty()) {
            return Credentials.of(user, client.password());
        }
        return new Credentials(user, client.authenticationId(), client.password());
    }

    /**
     * Logs a WARN when {@code mail.master-user} is set and one of the protocols has a listener: the
     * proxy has no password database, so a master login would let any client in as any user, and
     * the protocol sessions therefore always send the client's own credentials.
     */
    public static void warnIfMasterUserSet(ProxyContext context, String name, Protocol... protocols) {
        boolean listens = context.settings().listeners().stream()
                .anyMatch(listener -> Arrays.asList(protocols).contains(listener.protocol()));
        if (listens && context.settings().masterUser() != null) {
            log.warn("mail.master-user is ignored for {}: the proxy cannot check the client's password, and a master "
                    + "login would let any client in as any user. {} logins use the client's own credentials.", name, name);
        }
    }

    /** Logs and counts a login that the backend rejected, with the backend's reply shortened for the log. */
    public void logRejected(ClientConnection client, Target target, String reply) {
        log.info("{} login of {} rejected by backend {}: {}", client.protocol().label(), target.user(),
                target.backend().id(), sanitize(reply));
        context.metrics().recordBackendLogin(client.protocol(), LoginResult.AUTH_FAILED, target.startNanos());
    }

    /**
     * Logs and counts a login that failed on the backend connection after connecting: a timeout, a
     * closed connection, or a reply outside the protocol. Closes the backend connection.
     */
    public void logFailed(ClientConnection client, Target target, IOException e) {
        log.warn("{} login of {} on backend {} failed: {}", client.protocol().label(), target.user(),
                target.backend().id(), sanitize(String.valueOf(e.getMessage())));
        context.metrics().recordBackendLogin(client.protocol(), LoginResult.BACKEND_UNAVAILABLE, target.startNanos());
        target.close();
    }

    /** Counts a login that the session rejected before asking the director, e.g. for malformed credentials. */
    public void countRejected(ClientConnection client) {
        context.metrics().recordLogin(client.protocol(), LoginResult.REJECTED);
    }

    /**
     * Logs, once per backend and protocol, that a backend did not offer XCLIENT, so it sees the
     * proxy's address as the client's. Dovecot offers it only to {@code login_trusted_networks}.
     */
    public void warnWithoutForwarding(ClientConnection client, Target target) {
        if (WARNED_WITHOUT_FORWARDING.add(client.protocol().label() + "/" + target.backend().id())) {
            log.warn("backend {} ({}) does not offer XCLIENT for {}, so it logs and limits by the proxy's address "
                            + "instead of the client's; add the proxy's address (mail.source-address) to the "
                            + "backend's login_trusted_networks", target.backend().id(), target.backend().address(),
                    client.protocol().label());
        }
    }

    /** Returns the client's IP address in the canonical form Dovecot prints, without an IPv6 zone. */
    public static String clientAddress(ClientConnection client) {
        return IpAddresses.format(client.remote().getAddress());
    }

    /** Shortens a backend's text for a log line and escapes its control characters. */
    public static String sanitize(String text) {
        String shown = text.length() > MAX_LOGGED_REPLY ? text.substring(0, MAX_LOGGED_REPLY) + "..." : text;
        return UsernameNormalizer.escape(shown);
    }

    private static void unregister(AutoCloseable registration) {
        try {
            registration.close();
        } catch (Exception e) {
            log.debug("removing a live connection failed: {}", e.toString());
        }
    }
}
