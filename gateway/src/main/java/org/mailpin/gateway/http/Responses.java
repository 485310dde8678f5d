package org.mailpin.gateway.http;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;

/** The gateway's own short plain-text answers; the outcomes are listed in docs/web-gateway.md. */
final class Responses {

    private static final HttpString NOSNIFF = new HttpString("X-Content-Type-Options");

    private Responses() {
    }

    /** Ends the exchange with a status and a one-line message; the message never echoes raw client input. */
    static void plain(HttpServerExchange exchange, int status, String message) {
        exchange.setStatusCode(status);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain; charset=utf-8");
        exchange.getResponseHeaders().put(NOSNIFF, "nosniff");
        exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-store");
        exchange.getResponseSender().send(message + "\n");
    }

    static void redirect(HttpServerExchange exchange, String location) {
        exchange.setStatusCode(301);
        exchange.getResponseHeaders().put(Headers.LOCATION, location);
        exchange.endExchange();
    }
}
