package org.mailpin.gateway.http;

import org.mailpin.gateway.metrics.GatewayMetrics;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;

/**
 * Times every request of the public listener, from its arrival on the I/O thread until the
 * response is complete, whether the gateway or a Roundcube instance sent the response.
 */
final class RequestTimer implements HttpHandler {

    private final HttpHandler next;
    private final GatewayMetrics metrics;

    RequestTimer(HttpHandler next, GatewayMetrics metrics) {
        this.next = next;
        this.metrics = metrics;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        long start = System.nanoTime();
        exchange.addExchangeCompleteListener((completed, nextListener) -> {
            metrics.recordWebRequest(completed.getStatusCode(), start);
            nextListener.proceed();
        });
        next.handleRequest(exchange);
    }
}
