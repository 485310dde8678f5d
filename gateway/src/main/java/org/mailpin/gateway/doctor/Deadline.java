package org.mailpin.gateway.doctor;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import javax.net.SocketFactory;

/**
 * The time budget of one backend's checks. Every socket the checks open is registered here and
 * closed when the budget runs out, so a backend that accepts a connection and then stays silent
 * costs at most the budget, whichever step it stalls in.
 */
final class Deadline implements AutoCloseable {

    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "mailpin-doctor-deadline");
        thread.setDaemon(true);
        return thread;
    });

    private final Duration budget;
    private final long endNanos;
    private final InetAddress source;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final ScheduledFuture<?> expiry;
    private volatile boolean expired;

    /**
     * @param budget  time for all checks of one backend
     * @param source  local address for the connections, or null for the kernel's choice
     */
    Deadline(Duration budget, InetAddress source) {
        this.budget = budget;
        this.endNanos = System.nanoTime() + budget.toNanos();
        this.source = source;
        this.expiry = TIMER.schedule(this::expire, budget.toNanos(), TimeUnit.NANOSECONDS);
    }

    Duration budget() {
        return budget;
    }

    boolean expired() {
        return expired || System.nanoTime() - endNanos >= 0;
    }

    /** Returns the time left in milliseconds, at least 1 so that it is usable as a socket timeout. */
    int remainingMillis() {
        long left = TimeUnit.NANOSECONDS.toMillis(endNanos - System.nanoTime());
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, left));
    }

    /**
     * Opens a connection that is closed when the budget runs out, with the time left as connect
     * and read timeout.
     */
    Socket connect(String address, int port) throws IOException {
        Socket socket = newSocket();
        try {
            socket.connect(new InetSocketAddress(InetAddress.getByName(address), port), remainingMillis());
            socket.setSoTimeout(remainingMillis());
            return socket;
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    /** Returns a factory of unconnected sockets that this deadline closes. Angus Mail connects them itself. */
    SocketFactory socketFactory() {
        return new SocketFactory() {
            @Override
            public Socket createSocket() throws IOException {
                return newSocket();
            }

            @Override
            public Socket createSocket(String host, int port) {
                throw new UnsupportedOperationException("only unconnected sockets are created");
            }

            @Override
            public Socket createSocket(String host, int port, InetAddress localHost, int localPort) {
                throw new UnsupportedOperationException("only unconnected sockets are created");
            }

            @Override
            public Socket createSocket(InetAddress host, int port) {
                throw new UnsupportedOperationException("only unconnected sockets are created");
            }

            @Override
            public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) {
                throw new UnsupportedOperationException("only unconnected sockets are created");
            }
        };
    }

    private Socket newSocket() throws IOException {
        Socket socket = new Socket();
        if (source != null) {
            socket.bind(new InetSocketAddress(source, 0));
        }
        sockets.add(socket);
        if (expired) {
            socket.close();
        }
        return socket;
    }

    private void expire() {
        expired = true;
        for (Socket socket : sockets) {
            closeQuietly(socket);
        }
    }

    @Override
    public void close() {
        expiry.cancel(false);
        for (Socket socket : sockets) {
            closeQuietly(socket);
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // The check that owns the socket reports its own failure.
        }
    }
}
