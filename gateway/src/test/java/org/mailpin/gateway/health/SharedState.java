package org.mailpin.gateway.health;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import org.mailpin.director.hazelcast.ClientSettings;
import org.mailpin.director.hazelcast.ClusterSettings;
import org.mailpin.director.hazelcast.HazelcastClients;
import org.mailpin.director.hazelcast.HazelcastMembers;

import com.hazelcast.core.HazelcastInstance;

/** One embedded Hazelcast member on a free loopback port, under a cluster name of its own, for unit tests. */
final class SharedState implements AutoCloseable {

    static final Duration USER_EXPIRE = Duration.ofMinutes(15);
    static final Duration WEB_SESSION_IDLE = Duration.ofMinutes(30);

    final String cluster = "mailpin-health-test-" + UUID.randomUUID();
    final int port = freePort();
    final HazelcastInstance member = HazelcastMembers.start(new ClusterSettings(cluster, "127.0.0.1", port, List.of()),
            USER_EXPIRE, WEB_SESSION_IDLE);

    /** Connects a Hazelcast client to the member, as a node in client mode does; the caller shuts it down. */
    HazelcastInstance client() {
        return HazelcastClients.start(new ClientSettings(cluster, List.of("127.0.0.1:" + port)), USER_EXPIRE,
                WEB_SESSION_IDLE);
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        member.shutdown();
    }
}
