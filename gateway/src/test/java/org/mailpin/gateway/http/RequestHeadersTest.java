package org.mailpin.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;

class RequestHeadersTest {

    @Test
    void stripRemovesClientControlledHeaders() {
        HttpServerExchange exchange = new HttpServerExchange(null);
        exchange.getRequestHeaders().put(new HttpString("X-Mailpin-Route"), "forged.signature");
        exchange.getRequestHeaders().put(new HttpString("x-mailpin-login"), "ok");
        exchange.getRequestHeaders().put(new HttpString("X-Forwarded-For"), "203.0.113.9");
        exchange.getRequestHeaders().put(new HttpString("X-FORWARDED-HOST"), "evil.example");
        exchange.getRequestHeaders().put(new HttpString("Forwarded"), "for=203.0.113.9;host=evil.example");
        exchange.getRequestHeaders().put(Headers.HOST, "localhost:8080");
        exchange.getRequestHeaders().put(Headers.COOKIE, "roundcube_sessid=abc");

        int removed = RequestHeaders.stripClientControlled(exchange);

        assertEquals(5, removed);
        assertEquals(List.of("Cookie", "Host"), names(exchange));
    }

    @Test
    void stripKeepsLookalikeNames() {
        HttpServerExchange exchange = new HttpServerExchange(null);
        exchange.getRequestHeaders().put(new HttpString("X-Mailpin"), "1");
        exchange.getRequestHeaders().put(new HttpString("Forwarded-Proto"), "https");
        exchange.getRequestHeaders().put(new HttpString("X-Forwarded"), "1");

        int removed = RequestHeaders.stripClientControlled(exchange);

        assertEquals(0, removed);
        assertEquals(List.of("Forwarded-Proto", "X-Forwarded", "X-Mailpin"), names(exchange));
    }

    @Test
    void stripRemovesEveryValueOfRepeatedHeader() {
        HttpServerExchange exchange = new HttpServerExchange(null);
        exchange.getRequestHeaders().add(new HttpString("X-Mailpin-Route"), "one");
        exchange.getRequestHeaders().add(new HttpString("X-Mailpin-Route"), "two");

        RequestHeaders.stripClientControlled(exchange);

        assertEquals(List.of(), names(exchange));
    }

    private static List<String> names(HttpServerExchange exchange) {
        List<String> names = new ArrayList<>();
        for (HeaderValues values : exchange.getRequestHeaders()) {
            names.add(values.getHeaderName().toString());
        }
        names.sort(String::compareTo);
        return names;
    }
}
