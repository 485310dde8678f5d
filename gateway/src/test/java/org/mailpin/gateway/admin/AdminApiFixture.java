package org.mailpin.gateway.admin;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.UUID;

import org.mailpin.director.Backend;
import org.mailpin.director.BackendPorts;
import org.mailpin.director.DirectorSettings;
import org.mailpin.director.UsernameNormalizer;
import org.mailpin.director.hazelcast.ClusterQueries;
import org.mailpin.director.hazelcast.ClusterSettings;
import org.mailpin.director.hazelcast.HazelcastDirector;
import org.mailpin.director.hazelcast.HazelcastMembers;
import org.mailpin.director.hazelcast.MapNames;
import org.mailpin.gateway.cluster.ClusterView;
import org.mailpin.gateway.cluster.UserConnections;
import org.mailpin.gateway.config.GatewayConfig.AdminSection;
import org.mailpin.gateway.http.Hmac;
import org.mailpin.gateway.http.PinCookie;
import org.mailpin.gateway.mail.LiveConnections;
import org.mailpin.gateway.mail.Protocol;

import com.hazelcast.core.HazelcastInstance;

/**
 * An admin server on one real Hazelcast member, with two gateway nodes as far as cluster queries
 * go: {@code node-a} runs the director and the admin server, {@code node-b} only replies with its
 * own live connections. Both share the member, because a cluster query only needs distinct node
 * names.
 */
final class AdminApiFixture implements AutoCloseable {

    static final String TOKEN = "test-admin-token-0123456789";
    static final Duration USER_EXPIRE = Duration.ofMinutes(15);
    static final List<Backend> BACKENDS = List.of(
            new Backend("be1", "127.0.0.41", 100, "", BackendPorts.DEFAULTS, null, true),
            new Backend("be2", "127.0.0.42", 100, "", BackendPorts.DEFAULTS, null, true));

    final HazelcastInstance member;
    final HazelcastDirector director;
    final LiveConnections liveA;
    final LiveConnections liveB;
    final PinCookie pins = new PinCookie(new Hmac("fixture-secret-0123456789abcdefghijklmnopqrstuvwxyz"
            .getBytes(StandardCharsets.US_ASCII)), Duration.ofDays(7));
    private final ClusterQueries queriesA;
    private final ClusterQueries queriesB;
    private final AdminServer admin;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    AdminApiFixture() throws IOException {
        member = HazelcastMembers.start(new ClusterSettings("mailpin-test-" + UUID.randomUUID(), "127.0.0.1",
                freePort(), List.of()), USER_EXPIRE, Duration.ofMinutes(30));
        director = new HazelcastDirector(member, new DirectorSettings("node-a", USER_EXPIRE, Duration.ofMinutes(30),
                new UsernameNormalizer(true, "example.test", "%Lu"), BACKENDS), InstantSource.system());
        // The keep-alive never runs within a test.
        liveA = new LiveConnections(director, Duration.ofHours(1));
        liveB = new LiveConnections(director, Duration.ofHours(1));
        queriesA = new ClusterQueries(member, "node-a");
        queriesB = new ClusterQueries(member, "node-b");
        new UserConnections(queriesB, liveB, ClusterQueries.DEFAULT_WAIT);
        UserConnections connections = new UserConnections(queriesA, liveA, ClusterQueries.DEFAULT_WAIT);

        admin = new AdminServer(new AdminSection("127.0.0.1", freePort(), Path.of("unused-token-file")),
                new AdminServer.Sources(director, new ClusterView(member, false), connections, pins,
                        InstantSource.system(), new org.mailpin.gateway.metrics.GatewayMetrics(),
                        new org.mailpin.gateway.health.HealthStore(member)),
                BACKENDS, 100, TOKEN);
        admin.start();
    }

    /** Lists gateway nodes in the shared nodes map, as their heartbeats would. */
    void listNodes(String... nodes) {
        member.getMap(MapNames.NODES).clear();
        for (String node : nodes) {
            member.<String, String>getMap(MapNames.NODES).set(node,
                    "{\"node\":\"" + node + "\",\"started\":\"2025-01-06T09:00:00Z\",\"connections\":{}}");
        }
    }

    /** Registers a live IMAP connection on one node's list; closing the handle removes it. */
    static AutoCloseable connect(LiveConnections live, String id, String user, String backend, String clientIp,
                                 Instant since) {
        return live.register(new LiveConnections.Entry(id, user, Protocol.IMAP, backend, clientIp, since, () -> { }));
    }

    String baseUrl() {
        return "http://127.0.0.1:" + admin.address().getPort();
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return get(path, TOKEN);
    }

    /** Sends a GET, with the bearer token unless it is null. */
    HttpResponse<String> get(String path, String token) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl() + path)).timeout(Duration.ofSeconds(10));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> send(String method, String path, String token) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl() + path))
                .timeout(Duration.ofSeconds(10))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() {
        admin.close();
        queriesA.close();
        queriesB.close();
        liveA.close();
        liveB.close();
        director.close();
        member.shutdown();
    }
}
