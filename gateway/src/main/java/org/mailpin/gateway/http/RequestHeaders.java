package org.mailpin.gateway.http;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderMap;
import io.undertow.util.HeaderValues;
import io.undertow.util.HttpString;

/** Request header hygiene: what a browser may not tell Roundcube. */
final class RequestHeaders {

    private RequestHeaders() {
    }

    /**
     * Removes every {@code X-Mailpin-*} header, because only the gateway may set routing headers,
     * and every {@code X-Forwarded-*} and {@code Forwarded} header, because the gateway sets its
     * own and Undertow's proxy would otherwise pass a client's {@code X-Forwarded-Host} through.
     *
     * @return how many headers were removed
     */
    static int stripClientControlled(HttpServerExchange exchange) {
        HeaderMap headers = exchange.getRequestHeaders();
        List<HttpString> names = new ArrayList<>();
        for (HeaderValues values : headers) {
            String name = values.getHeaderName().toString().toLowerCase(Locale.ROOT);
            if (name.startsWith("x-mailpin-") || name.startsWith("x-forwarded-") || name.equals("forwarded")) {
                names.add(values.getHeaderName());
            }
        }
        names.forEach(headers::remove);
        return names.size();
    }

    /** Returns the value of a cookie from the request, or null. */
    static String cookie(HttpServerExchange exchange, String name) {
        var cookie = exchange.getRequestCookie(name);
        return cookie == null ? null : cookie.getValue();
    }

    /** Returns a query parameter's first value, or null. */
    static String query(HttpServerExchange exchange, String name) {
        var values = exchange.getQueryParameters().get(name);
        return values == null || values.isEmpty() ? null : values.getFirst();
    }
}
