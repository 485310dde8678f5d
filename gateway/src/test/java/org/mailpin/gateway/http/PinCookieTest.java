package org.mailpin.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PinCookieTest {

    private static final Hmac HMAC = new Hmac("test-secret-0123456789abcdefghijklmnopqrstuvwxyz"
            .getBytes(StandardCharsets.US_ASCII));
    private static final Duration MAX_AGE = Duration.ofDays(7);
    private static final Instant ISSUED = Instant.ofEpochSecond(1_765_000_000L);
    private static final PinCookie.Pin PIN = new PinCookie.Pin("c2Vzc2lvbi1pZC0xMjM0", "user01@example.test", ISSUED);

    private final PinCookie pins = new PinCookie(HMAC, MAX_AGE);

    @Test
    void roundTrip() {
        String value = pins.encode(PIN);

        assertEquals(Optional.of(PIN), pins.decode(value, ISSUED.plusSeconds(60)));
    }

    @Test
    void roundTripNonAsciiUser() {
        PinCookie.Pin pin = new PinCookie.Pin("sid", "jürgen@例え.test", ISSUED);

        assertEquals(Optional.of(pin), pins.decode(pins.encode(pin), ISSUED));
    }

    @Test
    void valueIsCookieSafe() {
        String value = pins.encode(PIN);

        assertTrue(value.matches("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]{43}"), value);
    }

    @Test
    void tamperedPayloadRejected() {
        String value = pins.encode(PIN);
        String tampered = replaceCharAt(value, 5);

        assertEquals(Optional.empty(), pins.decode(tampered, ISSUED));
    }

    @Test
    void tamperedSignatureRejected() {
        String value = pins.encode(PIN);
        String tampered = replaceCharAt(value, value.indexOf('.') + 10);

        assertEquals(Optional.empty(), pins.decode(tampered, ISSUED));
    }

    @Test
    void payloadSignedWithOtherSecretRejected() {
        Hmac other = new Hmac("another-secret-0123456789abcdefghijklmnopqrstuv".getBytes(StandardCharsets.US_ASCII));
        String forged = new PinCookie(other, MAX_AGE).encode(PIN);

        assertEquals(Optional.empty(), pins.decode(forged, ISSUED));
    }

    @Test
    void otherUserWithOldSignatureRejected() {
        String value = pins.encode(PIN);
        String signature = value.substring(value.indexOf('.'));
        String otherPayload = pins.encode(new PinCookie.Pin(PIN.sessionId(), "admin@example.test", ISSUED));
        String forged = otherPayload.substring(0, otherPayload.indexOf('.')) + signature;

        assertEquals(Optional.empty(), pins.decode(forged, ISSUED));
    }

    @Test
    void expiredRejected() {
        String value = pins.encode(PIN);

        assertEquals(Optional.empty(), pins.decode(value, ISSUED.plus(MAX_AGE).plusSeconds(1)));
    }

    @Test
    void exactlyMaxAgeAccepted() {
        String value = pins.encode(PIN);

        assertEquals(Optional.of(PIN), pins.decode(value, ISSUED.plus(MAX_AGE)));
    }

    @Test
    void verifyAcceptsExpiredPin() {
        String value = pins.encode(PIN);

        assertEquals(Optional.of(PIN), pins.verify(value));
        assertEquals(ISSUED.plus(MAX_AGE), pins.expiresAt(PIN));
    }

    @Test
    void verifyRejectsTamperedPin() {
        String value = pins.encode(PIN);

        assertEquals(Optional.empty(), pins.verify(replaceCharAt(value, 5)));
    }

    // Only a holder of the secret can sign such a payload, but a bad time field must not throw.
    @Test
    void signedPayloadWithBadTimeRejected() {
        String payload = Hmac.base64Url("sid\nuser01@example.test\nnot-a-number".getBytes(StandardCharsets.UTF_8));

        assertEquals(Optional.empty(), pins.verify(payload + "." + HMAC.sign(payload)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "no-dot-at-all", ".c2ln", "abc.", "abc.def.ghi", "!!!.???"})
    void malformedRejected(String value) {
        assertEquals(Optional.empty(), pins.decode(value, ISSUED));
    }

    @Test
    void newSessionIdsDiffer() {
        assertNotEquals(PinCookie.newSessionId(), PinCookie.newSessionId());
    }

    @Test
    void newSessionIdIs144Bits() {
        assertTrue(PinCookie.newSessionId().matches("[A-Za-z0-9_-]{24}"));
    }

    /** Returns the text with the character at the index changed to another base64url character. */
    private static String replaceCharAt(String text, int index) {
        char replacement = text.charAt(index) == 'A' ? 'B' : 'A';
        return text.substring(0, index) + replacement + text.substring(index + 1);
    }
}
