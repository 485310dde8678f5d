package org.mailpin.gateway.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HostPortTest {

    @Test
    void ipv4WithPort() {
        assertEquals(new HostPort("127.0.0.1", 8080), HostPort.parse("127.0.0.1:8080", 9999));
    }

    @Test
    void ipv6InBracketsWithPort() {
        assertEquals(new HostPort("::1", 8080), HostPort.parse("[::1]:8080", 9999));
    }

    @Test
    void ipv4WithoutPortGetsDefault() {
        assertEquals(new HostPort("10.0.0.1", 9180), HostPort.parse("10.0.0.1", 9180));
    }

    @Test
    void ipv6InBracketsWithoutPortGetsDefault() {
        assertEquals(new HostPort("2001:db8::1", 5701), HostPort.parse("[2001:db8::1]", 5701));
    }

    @Test
    void bareIpv6GetsDefault() {
        assertEquals(new HostPort("2001:db8::1", 5701), HostPort.parse("2001:db8::1", 5701));
    }

    @Test
    void hostNameWithPort() {
        assertEquals(new HostPort("localhost", 8080), HostPort.parse("localhost:8080", 9999));
    }

    @Test
    void surroundingSpaceIgnored() {
        assertEquals(new HostPort("127.0.0.1", 8080), HostPort.parse("  127.0.0.1:8080 ", 9999));
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:http", "127.0.0.1:", "[::1]:", "[::1]:-1"})
    void badPortRejected(String text) {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> HostPort.parse(text, 8080));

        assertEquals("invalid port in '" + text + "': expected 1 to 65535", error.getMessage());
    }

    @Test
    void highestPortAccepted() {
        assertEquals(65535, HostPort.parse("127.0.0.1:65535", 8080).port());
    }

    @ParameterizedTest
    @ValueSource(strings = {":8080", "[]:8080", ""})
    void missingHostRejected(String text) {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> HostPort.parse(text, 8080));

        assertEquals("invalid address '" + text + "': expected HOST:PORT, e.g. 127.0.0.1:8080", error.getMessage());
    }

    @Test
    void unclosedBracketRejected() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> HostPort.parse("[::1:8080", 8080));

        assertEquals("invalid address '[::1:8080': missing ] after the IPv6 address", error.getMessage());
    }

    @Test
    void portWithoutColonRejected() {
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse("[::1]8080", 80));
    }
}
