package org.mailpin.gateway.http;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import org.mailpin.director.Backend;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Builds the signed {@code X-Mailpin-Route} header that tells the Roundcube plugin which backend
 * serves the user; the format is documented in docs/gateway-plugin-protocol.md.
 */
public final class RouteHeader {

    public static final String NAME = "X-Mailpin-Route";
    static final io.undertow.util.HttpString NAME_HTTP = new io.undertow.util.HttpString(NAME);
    public static final String LOGIN_VERIFIED = "gateway-verified";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Hmac hmac;

    public RouteHeader(Hmac hmac) {
        this.hmac = hmac;
    }

    /**
     * Returns the header value for a user on a backend.
     *
     * @param loginVerified true only on a login POST whose CSRF token the gateway checked itself
     */
    public String value(String user, Backend backend, boolean loginVerified, Instant now) {
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("v", 1);
        payload.put("user", user);
        payload.put("backend", backend.id());
        payload.put("host", backend.address());
        payload.put("imap", backend.ports().imap());
        payload.put("smtp", backend.ports().submission());
        payload.put("sieve", backend.ports().sieve());
        payload.put("ts", now.getEpochSecond());
        if (loginVerified) {
            payload.put("login", LOGIN_VERIFIED);
        }
        try {
            String encoded = Hmac.base64Url(JSON.writeValueAsString(payload).getBytes(StandardCharsets.UTF_8));
            return encoded + "." + hmac.sign(encoded);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a map of strings and numbers always serializes", e);
        }
    }
}
