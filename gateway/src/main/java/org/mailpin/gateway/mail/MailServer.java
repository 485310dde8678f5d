package org.mailpin.gateway.mail;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import javax.net.ssl.SSLServerSocketFactory;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The mail listeners: one accept loop per configured address, one virtual thread per client
 * connection, plain blocking sockets. No thread pool to size: a virtual thread parked in a
 * socket read costs a few kilobytes of heap.
 */
public final class MailServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(MailServer.class);

    private final ProxyContext context;
    private final Map<Protocol, Supplier<MailSession>> sessions;
    private final List<ServerSocket> sockets = new ArrayList<>();
    private final Set<MailSession> running = ConcurrentHashMap.newKeySet();
    private volatile boolean closing;

    /**
     * @param sessions  a session factory per protocol; a listener for a protocol without one is a config error
     */
    public MailServer(ProxyContext context, Map<Protocol, Supplier<MailSession>> sessions) {
        this.context = context;
        this.sessions = new EnumMap<>(sessions);
    }

    public void start() throws IOException {
        for (MailSettings.Listener listener : context.settings().listeners()) {
            if (!sessions.containsKey(listener.protocol())) {
                throw new IllegalArgumentException("mail.listeners: protocol " + listener.protocol().label()
                        + " is not implemented yet");
            }
            ServerSocket socket = open(listener);
            sockets.add(socket);
            Thread.ofVirtual().name("accept-" + listener.protocol().label()).start(() -> accept(socket, listener));
            log.info("{} listening on {}:{}", listener.protocol().label(), listener.host(), socket.getLocalPort());
        }
    }

    /** Returns the bound port of the n-th listener, for tests that listen on port 0. */
    public int port(int index) {
        return sockets.get(index).getLocalPort();
    }

    private ServerSocket open(MailSettings.Listener listener) throws IOException {
        ServerSocket socket;
        if (listener.protocol().implicitTls()) {
            if (context.tls() == null) {
                throw new IllegalArgumentException("mail.listeners: " + listener.protocol().label()
                        + " needs mail.tls.cert-file and mail.tls.key-file");
            }
            SSLServerSocketFactory factory = context.tls().getServerSocketFactory();
            socket = factory.createServerSocket();
        } else {
            socket = new ServerSocket();
        }
        socket.setReuseAddress(true);
        try {
            socket.bind(new InetSocketAddress(InetAddress.getByName(listener.host()), listener.port()), 256);
        } catch (IOException e) {
            socket.close();
            throw new IOException("mail.listeners: cannot listen for " + listener.protocol().label() + " on "
                    + listener.host() + ":" + listener.port() + ": " + e.getMessage(), e);
        }
        return socket;
    }

    private void accept(ServerSocket server, MailSettings.Listener listener) {
        while (!closing) {
            Socket socket;
            try {
                socket = server.accept();
            } catch (SocketException e) {
                if (!closing) {
                    log.error("{} listener on {}:{} stopped: {}", listener.protocol().label(), listener.host(),
                            listener.port(), e.toString());
                }
                return;
            } catch (IOException e) {
                log.warn("{} accept failed: {}", listener.protocol().label(), e.toString());
                continue;
            }
            Thread.ofVirtual().name("mail-client").start(() -> serve(socket, listener.protocol()));
        }
    }

    private void serve(Socket socket, Protocol protocol) {
        MailSession session = null;
        try (ClientConnection client = new ClientConnection(socket, protocol)) {
            MDC.put("conn", client.id());
            log.debug("connection from {}", client.remote());
            session = sessions.get(protocol).get();
            running.add(session);
            if (closing) {
                // close() may have passed the set before this session joined it.
                session.stop();
            }
            session.run(client);
        } catch (Exception e) {
            log.debug("connection ended: {}", e.toString());
        } finally {
            if (session != null) {
                running.remove(session);
            }
            MDC.clear();
        }
    }

    @Override
    public void close() {
        closing = true;
        for (ServerSocket socket : sockets) {
            try {
                socket.close();
            } catch (IOException e) {
                log.debug("closing a listener failed: {}", e.toString());
            }
        }
        for (MailSession session : running) {
            try {
                session.stop();
            } catch (RuntimeException e) {
                log.warn("stopping a {} session failed: {}", session.getClass().getSimpleName(), e.toString());
            }
        }
    }
}
