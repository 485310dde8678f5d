package org.mailpin.gateway.admin;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;

/** JSON bodies of the admin API: writing responses and reading request bodies. */
final class Json {

    static final ObjectMapper MAPPER = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(SerializationFeature.INDENT_OUTPUT);

    private static final int MAX_BODY = 64 * 1024;

    private Json() {
    }

    static void send(HttpServerExchange exchange, int status, Object body) throws JsonProcessingException {
        exchange.setStatusCode(status);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
        // Values such as usernames are chosen by clients, so a browser must never render the body as HTML.
        exchange.getResponseHeaders().put(Headers.X_CONTENT_TYPE_OPTIONS, "nosniff");
        exchange.getResponseSender().send(MAPPER.writeValueAsString(body));
    }

    static void error(HttpServerExchange exchange, int status, String message) throws JsonProcessingException {
        send(exchange, status, Map.of("error", message));
    }

    /**
     * Reads the request body as a JSON object; an empty body is an empty object. Needs a blocking
     * exchange.
     *
     * @throws BadRequestException when the body is not a JSON object or is too large
     */
    static ObjectNode readObject(HttpServerExchange exchange) throws IOException {
        InputStream in = exchange.getInputStream();
        byte[] body = in.readNBytes(MAX_BODY + 1);
        if (body.length > MAX_BODY) {
            throw new BadRequestException("request body larger than " + MAX_BODY + " bytes");
        }
        if (body.length == 0) {
            return MAPPER.createObjectNode();
        }
        JsonNode node;
        try {
            node = MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw new BadRequestException("request body is not valid JSON: " + e.getOriginalMessage());
        }
        if (!(node instanceof ObjectNode object)) {
            throw new BadRequestException("request body must be a JSON object, e.g. {\"backend\": \"be2\"}");
        }
        return object;
    }

    /** Returns a text field, or the fallback when absent; rejects a value of another type. */
    static String text(ObjectNode body, String field, String fallback) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isTextual()) {
            throw new BadRequestException("field '" + field + "' must be a string, got " + value);
        }
        return value.asText();
    }

    /** Returns an integer field, or the fallback when absent; rejects a value of another type. */
    static Integer integer(ObjectNode body, String field, Integer fallback) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.canConvertToInt() || !value.isIntegralNumber()) {
            throw new BadRequestException("field '" + field + "' must be an integer, got " + value);
        }
        return value.asInt();
    }

    /** Rejects fields outside the given names, so a typo is an error instead of a silent no-op. */
    static void allowOnly(ObjectNode body, String... fields) {
        java.util.Set<String> allowed = java.util.Set.of(fields);
        body.fieldNames().forEachRemaining(name -> {
            if (!allowed.contains(name)) {
                throw new BadRequestException("unknown field '" + name + "'; expected one of "
                        + String.join(", ", fields));
            }
        });
    }
}
