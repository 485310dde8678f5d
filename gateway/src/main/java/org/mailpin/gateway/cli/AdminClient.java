package org.mailpin.gateway.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** Calls the admin API of one gateway node for the CLI's verbs. */
final class AdminClient {

    static final ObjectMapper JSON = new ObjectMapper();

    private final URI base;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    AdminClient(URI base, String token) {
        this.base = base;
        this.token = token;
    }

    JsonNode get(String path) {
        return send("GET", path, null);
    }

    JsonNode post(String path, Object body) {
        return send("POST", path, body);
    }

    JsonNode patch(String path, Object body) {
        return send("PATCH", path, body);
    }

    JsonNode delete(String path) {
        return send("DELETE", path, null);
    }

    /** Sends a POST whose response is a stream of JSON lines, passing each line on as it arrives. */
    void postStreaming(String path, Consumer<JsonNode> lines) {
        HttpResponse<InputStream> response = exchange(request("POST", path, null),
                HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            if (response.statusCode() != 200) {
                throw AdminException.fromStatus(response.statusCode(), errorText(reader.lines().reduce("", String::concat)));
            }
            String line;
            while ((line = reader.readLine()) != null) {
                if (!line.isBlank()) {
                    lines.accept(JSON.readTree(line));
                }
            }
        } catch (IOException e) {
            throw new AdminException(MailpinCommand.EXIT_UNAVAILABLE, "reading the response from " + base + " failed: " + e);
        }
    }

    static String encode(String pathSegment) {
        return URLEncoder.encode(pathSegment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private JsonNode send(String method, String path, Object body) {
        HttpResponse<String> response = exchange(request(method, path, body), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() >= 300) {
            throw AdminException.fromStatus(response.statusCode(), errorText(response.body()));
        }
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new AdminException(MailpinCommand.EXIT_UNAVAILABLE, base + " returned a response that is not JSON: "
                    + e.getMessage());
        }
    }

    private HttpRequest request(String method, String path, Object body) {
        HttpRequest.BodyPublisher publisher;
        try {
            publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body));
        } catch (IOException e) {
            throw new IllegalArgumentException(e);
        }
        return HttpRequest.newBuilder(base.resolve(path))
                .timeout(Duration.ofMinutes(30))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .method(method, publisher)
                .build();
    }

    private <T> HttpResponse<T> exchange(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        try {
            return http.send(request, handler);
        } catch (ConnectException e) {
            throw new AdminException(MailpinCommand.EXIT_UNAVAILABLE, "cannot connect to the admin API at " + base
                    + ": is the gateway running, and is admin.listen in the config the address it listens on?");
        } catch (IOException e) {
            throw new AdminException(MailpinCommand.EXIT_UNAVAILABLE, "admin API at " + base + " failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AdminException(MailpinCommand.EXIT_UNAVAILABLE, "interrupted");
        }
    }

    private static String errorText(String body) {
        try {
            JsonNode error = JSON.readTree(body).get("error");
            return error == null ? body : error.asText();
        } catch (IOException | RuntimeException e) {
            return body;
        }
    }
}
