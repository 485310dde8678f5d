package org.mailpin.director;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class UsernameNormalizerTest {

    private static final UsernameNormalizer WITH_DOMAIN = new UsernameNormalizer(true, "example.test", "%Lu");

    @ParameterizedTest
    @ValueSource(strings = {"User01@Example.TEST", "user01@example.test", "user01", "USER01"})
    void normalizeSpellingsToOneUser(String typed) {
        assertEquals("user01@example.test", WITH_DOMAIN.normalize(typed));
    }

    @ParameterizedTest
    @ValueSource(strings = {"User01@Example.TEST", "user01@example.test", "user01"})
    void ringKeySameForSpellings(String typed) {
        assertEquals("user01@example.test", WITH_DOMAIN.ringKey(WITH_DOMAIN.normalize(typed)));
    }

    @Test
    void defaultDomainNotAddedAfterAt() {
        assertEquals("user01@other.test", WITH_DOMAIN.normalize("User01@Other.test"));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "Nguyễn.Văn@Ví-Dụ.vn, nguyễn.văn@ví-dụ.vn",
            "ÄBC@Example.TEST, Äbc@example.test",
            "ΩΜΕΓΑ@Example.TEST, ΩΜΕΓΑ@example.test",
            "İSTANBUL, İstanbul",
    })
    void normalizeLowercasesAsciiOnly(String typed, String expected) {
        assertEquals(expected, UsernameNormalizer.dovecotDefault().normalize(typed));
    }

    @Test
    void lowercaseOffKeepsCase() {
        UsernameNormalizer keepCase = new UsernameNormalizer(false, null, "%u");

        assertEquals("User01@Example.TEST", keepCase.normalize("User01@Example.TEST"));
    }

    static Stream<Arguments> namesWithControlCharacters() {
        return Stream.of(
                Arguments.of("us\ner", "us\\ner"),
                Arguments.of("us\r\ner", "us\\r\\ner"),
                Arguments.of("user\u000001", "user\\001"),
                Arguments.of("us\u0001er", "us\\x01er"),
                Arguments.of("us\ter", "us\\x09er"),
                Arguments.of("us\u007fer", "us\\x7fer"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("namesWithControlCharacters")
    void controlCharacterRejected(String typed, String escaped) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WITH_DOMAIN.normalize(typed));

        assertEquals("invalid username '" + escaped + "': control characters (CR, LF, NUL, ...) are not allowed",
                e.getMessage());
    }

    static Stream<Arguments> namesWithControlCharacterAtEnd() {
        return Stream.of(
                Arguments.of("user01\r\n", "user01\\r\\n"),
                Arguments.of("\r\nuser01", "\\r\\nuser01"),
                Arguments.of("user01\n", "user01\\n"),
                Arguments.of("user01\t", "user01\\x09"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("namesWithControlCharacterAtEnd")
    void controlCharacterAtEndRejected(String typed, String escaped) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WITH_DOMAIN.normalize(typed));

        assertEquals("invalid username '" + escaped + "': control characters (CR, LF, NUL, ...) are not allowed",
                e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   "})
    void emptyNameRejected(String typed) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WITH_DOMAIN.normalize(typed));

        assertEquals("invalid username '': a username must not be empty", e.getMessage());
    }

    @Test
    void maxLengthAccepted() {
        String name = "u".repeat(UsernameNormalizer.MAX_LENGTH);

        assertEquals(name, UsernameNormalizer.dovecotDefault().normalize(name));
    }

    @Test
    void overMaxLengthRejected() {
        String name = "u".repeat(UsernameNormalizer.MAX_LENGTH + 1);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> UsernameNormalizer.dovecotDefault().normalize(name));

        assertEquals("invalid username '" + "u".repeat(40) + "...': longer than 255 characters", e.getMessage());
    }

    // Lowercasing is off here so that the %L variants are the only source of lowercase.
    @ParameterizedTest(name = "{0} of {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
            "%u | User01@Example.TEST | User01@Example.TEST",
            "%Lu | User01@Example.TEST | user01@example.test",
            "%n | User01@Example.TEST | User01",
            "%Ln | User01@Example.TEST | user01",
            "%d | User01@Example.TEST | Example.TEST",
            "%Ld | User01@Example.TEST | example.test",
            "%n@%Ld | User01@Example.TEST | User01@example.test",
            "%%%Ln | User01@Example.TEST | %user01",
            "%n | User01 | User01",
            "%d | User01 | ''",
            "%d | a@b@c | b@c",
            "%n | a@b@c | a",
    })
    void ringKeyFollowsHashFormat(String format, String user, String expectedKey) {
        UsernameNormalizer normalizer = new UsernameNormalizer(false, null, format);

        assertEquals(expectedKey, normalizer.ringKey(normalizer.normalize(user)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"%x", "%", "%L", "100%", "%Lx", "%{user}", "%U"})
    void invalidHashFormatRejected(String format) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new UsernameNormalizer(true, null, format));

        assertEquals("invalid username hash format '" + format + "': expected %u, %n, %d (each optionally "
                + "%L...) and literal text, like Dovecot's director_username_hash, e.g. %Lu", e.getMessage());
    }

    @Test
    void defaultDomainLowercasedLikeTypedDomain() {
        UsernameNormalizer normalizer = new UsernameNormalizer(true, "MÜLLER.DE", "%Lu");

        assertEquals(normalizer.normalize("user01@MÜLLER.DE"), normalizer.normalize("user01"));
    }

    static Stream<Arguments> escapeCases() {
        return Stream.of(
                Arguments.of("plain", "plain"),
                Arguments.of("a\rb", "a\\rb"),
                Arguments.of("a\nb", "a\\nb"),
                Arguments.of("a\u0000b", "a\\0b"),
                Arguments.of("a\u001bb", "a\\x1bb"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("escapeCases")
    void escapeShowsControlCharacters(String text, String expected) {
        assertEquals(expected, UsernameNormalizer.escape(text));
    }

    @Test
    void defaultDomainWithSpaceRejected() {
        var error = assertThrows(IllegalArgumentException.class,
                () -> new UsernameNormalizer(true, "exa mple.org", UsernameNormalizer.DEFAULT_HASH_FORMAT));

        assertTrue(error.getMessage().contains("invalid default domain 'exa mple.org'"), error.getMessage());
    }
}
