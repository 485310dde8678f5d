package org.mailpin.gateway.http;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;

/**
 * The gateway's own cookie that pins a browser to a user after a successful webmail login.
 *
 * <p>Value: {@code base64url(sessionId "\n" user "\n" issuedEpochSeconds) "." HMAC}. The signature
 * stops a browser from choosing its own user or backend; the web session it names must also
 * still exist in the shared state, so logout and kicks end the pin on every node.
 */
public final class PinCookie {

    public static final String NAME = "mailpin_pin";

    /** A verified pin. */
    public record Pin(String sessionId, String user, Instant issued) {
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Hmac hmac;
    private final Duration maxAge;

    public PinCookie(Hmac hmac, Duration maxAge) {
        this.hmac = hmac;
        this.maxAge = maxAge;
    }

    public static String newSessionId() {
        byte[] id = new byte[18];
        RANDOM.nextBytes(id);
        return Hmac.base64Url(id);
    }

    public String encode(Pin pin) {
        String payload = Hmac.base64Url((pin.sessionId() + "\n" + pin.user() + "\n" + pin.issued().getEpochSecond())
                .getBytes(StandardCharsets.UTF_8));
        return payload + "." + hmac.sign(payload);
    }

    /** Returns the pin if the value is well-formed, correctly signed and younger than the maximum age. */
    public Optional<Pin> decode(String value, Instant now) {
        return verify(value).filter(pin -> !now.isAfter(expiresAt(pin)));
    }

    /**
     * Returns the pin if the value is well-formed and correctly signed, whatever its age. The
     * admin API uses it to show a pasted cookie even after it expired.
     */
    public Optional<Pin> verify(String value) {
        int dot = value.indexOf('.');
        if (dot <= 0 || !hmac.verify(value.substring(0, dot), value.substring(dot + 1))) {
            return Optional.empty();
        }
        String[] fields;
        try {
            fields = new String(Base64.getUrlDecoder().decode(value.substring(0, dot)), StandardCharsets.UTF_8)
                    .split("\n", -1);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        if (fields.length != 3) {
            return Optional.empty();
        }
        try {
            return Optional.of(new Pin(fields[0], fields[1], Instant.ofEpochSecond(Long.parseLong(fields[2]))));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Returns the time after which {@link #decode} rejects the pin. */
    public Instant expiresAt(Pin pin) {
        return pin.issued().plus(maxAge);
    }
}
