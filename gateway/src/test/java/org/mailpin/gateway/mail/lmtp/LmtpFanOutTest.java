package org.mailpin.gateway.mail.lmtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mailpin.gateway.mail.BackendConnector;

/** Tests writing one DATA section to several backends when one of them stops reading. */
class LmtpFanOutTest {

    // 128 MB of chunks. The socket buffers, bounded by the maximums in net.ipv4.tcp_rmem and
    // tcp_wmem, fill long before unless those are set above 128 MB.
    private static final int MAX_CHUNKS = 2000;

    private FakeLmtpBackend stalled;
    private FakeLmtpBackend healthy;
    private final List<BackendConnection> connections = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        stalled = new FakeLmtpBackend("be1");
        stalled.stallInsideData();
        healthy = new FakeLmtpBackend("be2");
    }

    @AfterEach
    void stop() throws IOException {
        connections.forEach(BackendConnection::abort);
        stalled.close();
        healthy.close();
    }

    private BackendConnection openInData(FakeLmtpBackend backend) throws IOException {
        BackendConnection connection = BackendConnection.open(new BackendConnector(null, Duration.ofSeconds(5)),
                backend.backend(), backend.backend().ports().lmtp(), "mx.test", null, Duration.ofSeconds(5));
        connections.add(connection);
        connection.command("MAIL FROM:<sender@example.org>");
        connection.command("RCPT TO:<user01@example.test>");
        assertEquals(354, connection.command("DATA").code());
        return connection;
    }

    @Test
    @Timeout(30)
    void stalledBackendFailsAlone() throws Exception {
        BackendConnection stalledConnection = openInData(stalled);
        BackendConnection healthyConnection = openInData(healthy);
        DataFanOut fanOut = new DataFanOut(List.of(stalledConnection, healthyConnection), Duration.ofSeconds(1));

        byte[] chunk = new byte[DataFanOut.CHUNK_SIZE];
        Arrays.fill(chunk, (byte) 'x');
        int sent = 0;
        while (fanOut.failure(stalledConnection) == null && sent < MAX_CHUNKS) {
            fanOut.send(chunk);
            sent++;
        }
        fanOut.send("\r\n.\r\n".getBytes(StandardCharsets.US_ASCII));
        fanOut.finish();

        IOException failure = fanOut.failure(stalledConnection);
        assertNotNull(failure, "the stalled backend failed after " + sent + " chunks");
        assertEquals("backend took no data for 1 s", failure.getMessage());
        assertNull(fanOut.failure(healthyConnection), "the healthy backend got every chunk");
        assertTrue(healthyConnection.read().isPositive(), "the healthy backend stored the message");
        assertEquals((long) sent * DataFanOut.CHUNK_SIZE + 5, healthy.messages().get(0).length);
    }
}
