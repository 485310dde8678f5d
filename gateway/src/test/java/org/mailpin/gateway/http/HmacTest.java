package org.mailpin.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;

class HmacTest {

    private static final String SECRET = "test-secret-0123456789abcdefghijklmnopqrstuvwxyz";

    private final Hmac hmac = new Hmac(SECRET.getBytes(StandardCharsets.US_ASCII));

    @Test
    void shortSecretRejected() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> new Hmac(new byte[31]));

        assertTrue(error.getMessage().startsWith("the shared secret is 31 bytes; expected at least 32"),
                error.getMessage());
    }

    @Test
    void secretOf32BytesAccepted() {
        assertEquals(43, new Hmac(new byte[32]).sign("payload").length());
    }

    /** RFC 4231 test case 6, a 131-byte key of 0xaa. Cases 1 to 5 use keys below the 32-byte minimum. */
    @Test
    void signMatchesRfc4231() {
        byte[] key = new byte[131];
        Arrays.fill(key, (byte) 0xaa);
        byte[] expected = HexFormat.of().parseHex("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");

        String signature = new Hmac(key).sign("Test Using Larger Than Block-Size Key - Hash Key First");

        assertEquals(Base64.getUrlEncoder().withoutPadding().encodeToString(expected), signature);
    }

    @Test
    void signIsUnpaddedBase64Url() {
        String signature = hmac.sign("eyJ2IjoxfQ");

        assertTrue(signature.matches("[A-Za-z0-9_-]{43}"), signature);
    }

    @Test
    void verifyAcceptsOwnSignature() {
        assertTrue(hmac.verify("eyJ2IjoxfQ", hmac.sign("eyJ2IjoxfQ")));
    }

    @Test
    void verifyRejectsWrongSignature() {
        String signature = hmac.sign("eyJ2IjoxfQ");
        String wrong = (signature.charAt(0) == 'A' ? "B" : "A") + signature.substring(1);

        assertFalse(hmac.verify("eyJ2IjoxfQ", wrong));
    }

    @Test
    void verifyRejectsOtherText() {
        assertFalse(hmac.verify("eyJ2IjoyfQ", hmac.sign("eyJ2IjoxfQ")));
    }

    @Test
    void verifyRejectsTruncatedSignature() {
        String signature = hmac.sign("eyJ2IjoxfQ");

        assertFalse(hmac.verify("eyJ2IjoxfQ", signature.substring(0, signature.length() - 1)));
    }

    @Test
    void verifyRejectsEmptySignature() {
        assertFalse(hmac.verify("eyJ2IjoxfQ", ""));
    }

    @Test
    void verifyRejectsOtherSecret() {
        Hmac other = new Hmac("another-secret-0123456789abcdefghijklmnopqrstuv".getBytes(StandardCharsets.US_ASCII));

        assertFalse(hmac.verify("eyJ2IjoxfQ", other.sign("eyJ2IjoxfQ")));
    }

    @Test
    void toStringHidesSecret() {
        String text = hmac.toString();

        assertFalse(text.contains(SECRET), text);
        assertFalse(text.contains("0123456789"), text);
        assertTrue(text.contains("secret hidden"), text);
    }
}
