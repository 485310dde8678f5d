package org.mailpin.gateway.doctor;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

import org.mailpin.gateway.Secrets;
import org.mailpin.gateway.config.ConfigException;
import org.mailpin.gateway.config.GatewayConfig.AdminSection;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Asks a running gateway's admin API where a user is assigned ({@code GET /api/v1/users/{user}}).
 * The lookup is optional: without a reachable gateway, a readable token or a 200 response, doctor
 * reports the backends alone.
 */
public final class AdminLookup {

    /** How long the lookup may take. The admin API responds from memory, so 3 s is plenty. */
    static final Duration TIMEOUT = Duration.ofSeconds(3);

    private AdminLookup() {
    }

    public static Optional<Assignment> assignment(AdminSection admin, String user) {
        String token;
        try {
            token = Secrets.read(admin.tokenFile(), "admin.token-file");
        } catch (ConfigException e) {
            return Optional.empty();
        }
        URI uri = URI.create("http://" + connectHost(admin.listenHost()) + ":" + admin.listenPort() + "/api/v1/users/"
                + URLEncoder.encode(user, StandardCharsets.UTF_8));
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(TIMEOUT)
                .header("Authorization", "Bearer " + token).GET().build();
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(TIMEOUT).build()) {
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                return Optional.empty();
            }
            return Optional.of(parse(new ObjectMapper().readTree(response.body())));
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    static Assignment parse(JsonNode body) {
        return new Assignment(body.path("assigned").asBoolean(false), text(body, "backend"), text(body, "reason"),
                text(body, "since"), text(body, "ringChoice"));
    }

    // A listener on all addresses is reached on loopback from the same host.
    private static String connectHost(String listenHost) {
        return switch (listenHost) {
            case "0.0.0.0", "" -> "127.0.0.1";
            case "::", "[::]" -> "[::1]";
            default -> listenHost.contains(":") && !listenHost.startsWith("[") ? "[" + listenHost + "]" : listenHost;
        };
    }

    private static String text(JsonNode body, String field) {
        JsonNode value = body.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }
}
