package org.mailpin.gateway.mail;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

import org.mailpin.gateway.metrics.Direction;
import org.mailpin.gateway.metrics.GatewayMetrics;

/**
 * Copies bytes both ways between an authenticated client and its backend until either side
 * closes or neither sends anything for the idle timeout.
 *
 * <p>The idle clock counts traffic in both directions, so a client in IMAP IDLE (quiet client,
 * occasional server updates) and a long download (quiet client, busy server) both stay open. Each
 * direction runs on its own virtual thread and wakes every {@link #CHECK_INTERVAL} to check the
 * shared clock.
 */
public final class Relay {

    static final Duration CHECK_INTERVAL = Duration.ofSeconds(30);

    // An idle connection keeps a small buffer per direction. A read that fills it switches to a
    // large one, so a 10 MB FETCH takes few read/write pairs. docs/benchmarks.md has both figures.
    static final int SMALL_BUFFER = 8 * 1024;
    static final int LARGE_BUFFER = 64 * 1024;

    private final Duration idleTimeout;
    private final GatewayMetrics metrics;

    public Relay(Duration idleTimeout, GatewayMetrics metrics) {
        this.idleTimeout = idleTimeout;
        this.metrics = metrics;
    }

    /**
     * Relays until the connection ends; returns the bytes copied client to backend and back.
     * The node-wide byte counters of the protocol grow as each buffer is written.
     *
     * @param pending bytes the client already sent that the pre-login reader did not consume
     */
    public Traffic run(Protocol protocol, Socket client, Socket backend, byte[] pending) throws InterruptedException {
        AtomicLong lastActivity = new AtomicLong(System.nanoTime());
        AtomicLong up = new AtomicLong();
        AtomicLong down = new AtomicLong();
        LongConsumer upTotal = metrics.proxyBytes(protocol, Direction.CLIENT_TO_BACKEND);
        LongConsumer downTotal = metrics.proxyBytes(protocol, Direction.BACKEND_TO_CLIENT);
        int checkMillis = (int) Math.min(CHECK_INTERVAL.toMillis(), Math.max(1, idleTimeout.toMillis()));

        Thread upstream = Thread.ofVirtual().name("relay-up").start(() ->
                copy(client, backend, pending, up, upTotal, lastActivity, checkMillis));
        Thread downstream = Thread.ofVirtual().name("relay-down").start(() ->
                copy(backend, client, new byte[0], down, downTotal, lastActivity, checkMillis));
        upstream.join();
        downstream.join();
        return new Traffic(up.get(), down.get());
    }

    /** Bytes relayed each way. */
    public record Traffic(long clientToBackend, long backendToClient) {
    }

    private void copy(Socket from, Socket to, byte[] pending, AtomicLong counter, LongConsumer total,
                      AtomicLong lastActivity, int checkMillis) {
        try {
            from.setSoTimeout(checkMillis);
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            if (pending.length > 0) {
                out.write(pending);
                out.flush();
                counter.addAndGet(pending.length);
                total.accept(pending.length);
            }
            byte[] buffer = new byte[SMALL_BUFFER];
            while (true) {
                int n;
                try {
                    n = in.read(buffer);
                } catch (SocketTimeoutException e) {
                    if (System.nanoTime() - lastActivity.get() > idleTimeout.toNanos()) {
                        break;
                    }
                    continue;
                }
                if (n < 0) {
                    break;
                }
                out.write(buffer, 0, n);
                out.flush();
                counter.addAndGet(n);
                total.accept(n);
                if (n == buffer.length && buffer.length < LARGE_BUFFER) {
                    buffer = new byte[LARGE_BUFFER];
                }
                lastActivity.set(System.nanoTime());
            }
        } catch (IOException e) {
            // A reset or a close from the other direction ends the relay like an orderly close.
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // Already closing.
        }
    }
}
