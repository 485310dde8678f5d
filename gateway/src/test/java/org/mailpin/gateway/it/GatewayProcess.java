package org.mailpin.gateway.it;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A gateway node run as a separate {@code bin/mailpin serve} process, with its own web, admin,
 * IMAP and Hazelcast ports on 127.0.0.1 and the topology's backends, secret and admin token.
 */
final class GatewayProcess {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    final int number;
    final int webPort;
    final int adminPort;
    final int imapPort;
    final int clusterPort;
    final Path config;
    final Path log;
    private final Path jar;
    private final String adminToken;
    private Process process;

    GatewayProcess(int number, int clusterPort, Path config, Path log, Path jar, String adminToken)
            throws IOException {
        this.number = number;
        this.webPort = Topology.freePort();
        this.adminPort = Topology.freePort();
        this.imapPort = Topology.freePort();
        this.clusterPort = clusterPort;
        this.config = config;
        this.log = log;
        this.jar = jar;
        this.adminToken = adminToken;
    }

    /**
     * Writes this node's config next to the topology's secret and admin-token files, so the
     * relative paths in it resolve to the same files node 1 reads.
     */
    void writeConfig(String userExpire, String clusterYaml) throws IOException {
        Files.writeString(config, """
                node: it-node%d
                director:
                  user-expire: %s
                  username:
                    lowercase: true
                    default-domain: example.test
                backends:
                  - id: be1
                    address: 127.0.0.11
                    vhosts: 100
                    submission-port: 587
                    webmail: rc1
                  - id: be2
                    address: 127.0.0.12
                    vhosts: 100
                    submission-port: 587
                    webmail: rc2
                web:
                  listen: 127.0.0.1:%d
                  prefix: /mail/
                  public-hosts: ["127.0.0.1:%d", "localhost:%d"]
                  secret-file: secret
                  shared-sessions: false
                  roundcube:
                    - id: rc1
                      url: http://127.0.0.21:8081/
                    - id: rc2
                      url: http://127.0.0.22:8082/
                admin:
                  listen: 127.0.0.1:%d
                  token-file: admin-token
                mail:
                  listeners:
                    - protocol: imap
                      listen: 127.0.0.1:%d
                """.formatted(number, userExpire, webPort, webPort, webPort, adminPort, imapPort) + clusterYaml);
    }

    /** Starts {@code bin/mailpin serve} on the copied jar; output goes to {@link #log}, appended. */
    void start() throws IOException {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("node " + number + " is already running as PID " + process.pid());
        }
        Files.writeString(log, "---- start of node " + number + "\n", StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        ProcessBuilder builder = new ProcessBuilder(Topology.REPO.resolve("bin/mailpin").toString(), "serve",
                "--config", config.toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        builder.environment().put("MAILPIN_JAR", jar.toString());
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().put("MAILPIN_JAVA_OPTS", "-Xmx256m");
        process = builder.start();
    }

    boolean alive() {
        return process != null && process.isAlive();
    }

    long pid() {
        return process.pid();
    }

    /**
     * Kills the node with SIGKILL. bin/mailpin execs java, so the PID is the JVM itself and no
     * shutdown hook runs.
     */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("node " + number + " (PID " + process.pid() + ") survived SIGKILL for 10 s");
        }
    }

    /** Stops the node with SIGTERM, then SIGKILL after 20 s. */
    void stop() throws InterruptedException {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    String adminUrl() {
        return "http://127.0.0.1:" + adminPort;
    }

    String webBaseUrl() {
        return "http://127.0.0.1:" + webPort + "/mail/";
    }

    /** Returns this node's admin API view of the user, {@code GET /api/v1/users/{user}}. */
    JsonNode adminUser(String user) throws IOException, InterruptedException {
        return adminUser(adminUrl(), adminToken, user);
    }

    /** Returns the backend the admin API at {@code adminUrl} reports for the user, if assigned. */
    static Optional<String> adminBackend(String adminUrl, String token, String user)
            throws IOException, InterruptedException {
        JsonNode body = adminUser(adminUrl, token, user);
        return body.path("assigned").asBoolean() ? Optional.of(body.path("backend").asText()) : Optional.empty();
    }

    static JsonNode adminUser(String adminUrl, String token, String user) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(
                        URI.create(adminUrl + "/api/v1/users/" + URLEncoder.encode(user, StandardCharsets.UTF_8)))
                .timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + token)
                .build();
        HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("admin API " + adminUrl + " returned " + response.statusCode()
                    + " for user " + user + ": " + response.body());
        }
        return JSON.readTree(response.body());
    }

    /** Returns the last lines of this node's output, for failure messages. */
    String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
        }
    }
}
