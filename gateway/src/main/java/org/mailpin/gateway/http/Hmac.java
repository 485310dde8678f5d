package org.mailpin.gateway.http;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** HMAC-SHA256 signatures in base64url without padding, as the Roundcube plugin expects them. */
public final class Hmac {

    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

    private final SecretKeySpec key;

    public Hmac(byte[] secret) {
        if (secret.length < 32) {
            throw new IllegalArgumentException("the shared secret is " + secret.length
                    + " bytes; expected at least 32, e.g. from: head -c 48 /dev/urandom | base64");
        }
        this.key = new SecretKeySpec(secret, "HmacSHA256");
    }

    /** Returns base64url(HMAC-SHA256(secret, text)). */
    public String sign(String text) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return ENCODER.encodeToString(mac.doFinal(text.getBytes(StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every Java runtime must provide HmacSHA256", e);
        }
    }

    /** Compares in constant time, so the comparison leaks nothing about the expected signature. */
    public boolean verify(String text, String signature) {
        return MessageDigest.isEqual(sign(text).getBytes(StandardCharsets.US_ASCII),
                signature.getBytes(StandardCharsets.US_ASCII));
    }

    public static String base64Url(byte[] bytes) {
        return ENCODER.encodeToString(bytes);
    }

    /** Returns the {@code toString} of a secret-holding object without the secret. */
    @Override
    public String toString() {
        return "Hmac[HmacSHA256, secret hidden]";
    }
}
