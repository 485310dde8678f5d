package org.mailpin.gateway.mail.imap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mailpin.gateway.mail.Protocol;
import org.mailpin.gateway.mail.Relay;
import org.mailpin.gateway.metrics.GatewayMetrics;

/**
 * The relay's idle clock as IMAP IDLE needs it: a quiet client stays connected while the server
 * sends updates, and a connection with no traffic either way closes. The idle timeout here is
 * 300 ms instead of the configured minimum of 30 minutes, so each test takes about a second.
 */
class ImapRelayIdleTest {

    private static final Duration IDLE_TIMEOUT = Duration.ofMillis(300);
    private static final Duration MAX_WAIT = Duration.ofSeconds(5);

    private ServerSocket listener;
    private Socket client;
    private Socket proxyClientSide;
    private Socket backend;
    private Socket proxyBackendSide;
    private Thread relay;

    @BeforeEach
    void connect() throws IOException {
        listener = new ServerSocket(0, 2, InetAddress.getLoopbackAddress());
        client = connectToListener();
        proxyClientSide = listener.accept();
        backend = connectToListener();
        proxyBackendSide = listener.accept();
        client.setSoTimeout((int) MAX_WAIT.toMillis());
        relay = Thread.ofVirtual().start(() -> {
            try {
                new Relay(IDLE_TIMEOUT, new GatewayMetrics()).run(Protocol.IMAP, proxyClientSide, proxyBackendSide,
                        new byte[0]);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    private Socket connectToListener() throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort()));
        return socket;
    }

    @AfterEach
    void close() throws IOException {
        client.close();
        backend.close();
        listener.close();
    }

    @Test
    void quietConnectionClosed() throws Exception {
        long started = System.nanoTime();

        assertTrue(relay.join(MAX_WAIT), "the relay still runs after " + MAX_WAIT);
        assertTrue(System.nanoTime() - started >= IDLE_TIMEOUT.toNanos());
        assertEquals(-1, client.getInputStream().read());
    }

    @Test
    void serverUpdatesKeepIdlingClient() throws Exception {
        InputStream fromProxy = client.getInputStream();
        byte[] update = "* 1 EXISTS\r\n".getBytes(StandardCharsets.US_ASCII);
        // Ten updates 100 ms apart span more than three idle timeouts.
        for (int i = 0; i < 10; i++) {
            backend.getOutputStream().write(update);
            assertEquals("* 1 EXISTS\r\n", new String(fromProxy.readNBytes(update.length), StandardCharsets.US_ASCII));
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }

        assertTrue(relay.isAlive());
        assertTrue(relay.join(MAX_WAIT), "the relay still runs " + MAX_WAIT + " after the last update");
    }
}
