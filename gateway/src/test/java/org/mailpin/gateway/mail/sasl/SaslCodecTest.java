package org.mailpin.gateway.mail.sasl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class SaslCodecTest {

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    /** A PLAIN response that decodes. */
    record Valid(String name, String base64, Credentials expected) {

        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Valid> validPlain() {
        return Stream.of(
                new Valid("without authorization id", base64("\0user01\0secret01"), Credentials.of("user01", "secret01")),
                new Valid("with authorization id", base64("user01\0admin\0secret01"),
                        new Credentials("user01", "admin", "secret01")),
                new Valid("UTF-8 password", base64("\0user01\0gr\u00fc\u00dfe"), Credentials.of("user01", "gr\u00fc\u00dfe")),
                new Valid("password with spaces", base64("\0user01\0a b c"), Credentials.of("user01", "a b c")),
                new Valid("without padding", base64("\0u\0pw").replace("=", ""), Credentials.of("u", "pw")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("validPlain")
    void decodesPlain(Valid valid) throws MalformedCredentialsException {
        assertEquals(valid.expected(), SaslCodec.decodePlain(valid.base64()));
    }

    /** A PLAIN response that is rejected, and the message the client gets. */
    record Invalid(String name, String base64, String message) {

        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Invalid> invalidPlain() {
        String separators = "invalid PLAIN message: expected authorization id, login name and password separated by two NULs";
        return Stream.of(
                new Invalid("not base64", "%%%", "invalid base64 in the SASL response"),
                new Invalid("base64 with line break", base64("\0user01\0secret01") + "\r\n",
                        "invalid base64 in the SASL response"),
                new Invalid("not UTF-8", Base64.getEncoder().encodeToString(new byte[] {0, 'u', 0, (byte) 0xff}),
                        "the SASL response is not valid UTF-8"),
                new Invalid("empty", "", separators),
                new Invalid("one NUL", base64("user01\0secret01"), separators),
                new Invalid("three NULs", base64("\0user01\0secret\0more"), separators),
                new Invalid("empty login name", base64("\0\0secret01"), "missing login name"),
                new Invalid("empty password", base64("\0user01\0"), "missing password"),
                new Invalid("CR in login name", base64("\0user\r01\0secret01"), "CR, LF and NUL are not allowed in a user name"),
                new Invalid("LF in authorization id", base64("a\nb\0user01\0secret01"),
                        "CR, LF and NUL are not allowed in a user name"),
                new Invalid("LF in password", base64("\0user01\0secret\n01"), "CR, LF and NUL are not allowed in a password"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidPlain")
    void rejectsPlain(Invalid invalid) {
        MalformedCredentialsException e = assertThrows(MalformedCredentialsException.class,
                () -> SaslCodec.decodePlain(invalid.base64()));

        assertEquals(invalid.message(), e.getMessage());
    }

    @Test
    void encodePlainRoundTrips() throws MalformedCredentialsException {
        Credentials credentials = new Credentials("user01", "admin", "secret01");

        assertEquals(credentials, SaslCodec.decodePlain(SaslCodec.encodePlain(credentials)));
    }

    @Test
    void encodePlainWithoutAuthorizationId() {
        assertEquals(base64("\0user01\0secret01"), SaslCodec.encodePlain(Credentials.of("user01", "secret01")));
    }

    @Test
    void userPrefersAuthorizationId() {
        assertEquals("user01", new Credentials("user01", "admin", "pw").user());
    }

    @Test
    void toStringHidesPassword() {
        assertFalse(Credentials.of("user01", "secret01").toString().contains("secret01"));
    }

    @Test
    void validateRejectsNulInPassword() {
        assertThrows(MalformedCredentialsException.class, () -> Credentials.of("user01", "a\0b").validate());
    }
}
