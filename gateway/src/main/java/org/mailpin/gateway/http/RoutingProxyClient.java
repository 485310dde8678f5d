package org.mailpin.gateway.http;

import java.util.concurrent.TimeUnit;

import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.proxy.ProxyCallback;
import io.undertow.server.handlers.proxy.ProxyClient;
import io.undertow.server.handlers.proxy.ProxyConnection;
import io.undertow.util.AttachmentKey;

/**
 * Forwards each request to the Roundcube instance the gateway chose for it earlier in the
 * handler chain (attached to the exchange). Keeping the choice outside Undertow's proxy keeps
 * "which instance" apart from "how to forward".
 */
final class RoutingProxyClient implements ProxyClient {

    static final AttachmentKey<RoundcubePool.Member> TARGET = AttachmentKey.create(RoundcubePool.Member.class);

    @Override
    public ProxyTarget findTarget(HttpServerExchange exchange) {
        RoundcubePool.Member member = exchange.getAttachment(TARGET);
        return member == null ? null : member.client().findTarget(exchange);
    }

    @Override
    public void getConnection(ProxyTarget target, HttpServerExchange exchange, ProxyCallback<ProxyConnection> callback,
                              long timeout, TimeUnit timeUnit) {
        exchange.getAttachment(TARGET).client().getConnection(target, exchange, callback, timeout, timeUnit);
    }
}
